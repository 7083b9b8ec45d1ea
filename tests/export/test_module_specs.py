"""Every module: committed copy is current, README example complete, validations match the
constructs (the Terraform condition evaluated in Python against the construct's own checks)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2

from metaflow_blueprints.argo.names import check_object_name
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.export import module, registry
from metaflow_blueprints.metaflow.contract import check_event
from metaflow_blueprints.runtime import FRAMEWORK
from tests.export.test_module import (
    BAD_EVENTS,
    BAD_NAMES,
    BAD_NAMESPACES,
    GOOD_EVENTS,
    GOOD_NAMES,
    terraform_accepts,
)

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "modules"


# --- the committed modules/ are what `make modules` writes -----------------------------------


#: Provider version constraints as modules write them (main.tf and the README's list).
_CONSTRAINT = re.compile(r'(version\s*=\s*"|`[a-z-]+/[a-z-]+` `)(?:>=|~>) [0-9.]+')


def _files(root: Path) -> dict[str, str]:
    # modules/ is generated on cdktf. On cdktn only the provider constraints differ (they
    # follow the installed bindings, see runtime.PROVIDER_SOURCES): compare without them.
    def normal(text: str) -> str:
        return text if FRAMEWORK.name == "cdktf" else _CONSTRAINT.sub(r"\1X", text)

    return {
        str(path.relative_to(root)): normal(path.read_text())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_committed_modules_are_current(modules: dict[str, Any], tmp_path: Path) -> None:
    # Built in this process, after other stacks: also proves the output does not depend on
    # cdktf's token numbering.
    module.write([modules[name] for name in sorted(modules)], tmp_path, nested=True)
    fresh = _files(tmp_path)
    committed = _files(COMMITTED) if COMMITTED.is_dir() else {}
    stale = sorted(
        name for name in set(fresh) | set(committed) if fresh.get(name) != committed.get(name)
    )
    assert not stale, f"modules/ is stale ({', '.join(stale)}): run `make modules` and commit."


# --- README example --------------------------------------------------------------------------


def test_readme_example_passes_every_required_input(modules: dict[str, Any]) -> None:
    names = sorted(modules)
    examples = dict(zip(names, module.format_examples([modules[n] for n in names]), strict=True))
    for name, mod in modules.items():
        (block,) = hcl2.loads(examples[name])["module"]
        body = {k: v[0] if isinstance(v, list) else v for k, v in block[name].items()}
        required = {item.name for item in mod.spec.inputs if item.required}
        given = {key for key in body if not key.startswith("__")}
        assert given == {"source", "namespace", *required}, name
        assert body["source"] == f"./modules/{name}"
        for item in mod.spec.inputs:
            if item.required:
                assert not body[item.name].startswith("<"), f"{name}.{item.name}: no example"
                assert mod.spec.check_value(item.name, body[item.name]) is None
        readme = module.render_readme(mod, examples[name])
        assert examples[name] in readme


# --- validations -----------------------------------------------------------------------------


def _rejects(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except BlueprintError:
        return True
    return False


def _module_accepts(mod: Any, var: str, value: str) -> bool:
    body = mod.doc["variable"][var]
    return all(terraform_accepts(v["condition"], var, value) for v in body["validation"])


def _irsa(arn: str | None = None, issuer: str | None = None) -> None:
    """IRSA with one value under test and the other one matching it (they must agree)."""
    from metaflow_blueprints.aws.identity import SqsConsumer

    if arn is None:
        arn = "arn:aws:iam::1:oidc-provider/" + (issuer or "").removeprefix("https://")
    if issuer is None:
        issuer = "https://" + arn.partition(":oidc-provider/")[2] if ":" in arn else "https://x/A"
    SqsConsumer.irsa(oidc_provider_arn=arn, issuer=issuer)


def _dynamodb(**props: str) -> None:
    """Construct ``DynamoDbToMetaflow`` with one prop replaced (fails before any resource)."""
    from metaflow_blueprints.aws.identity import SqsConsumer
    from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow
    from metaflow_blueprints.metaflow_events import MetaflowEvents
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "t")
    args: dict[str, Any] = {
        "table_name": "orders",
        "stream_arn": "arn:aws:dynamodb:us-east-1:1:table/orders/stream/2025",
        **props,
    }
    try:
        DynamoDbToMetaflow(
            stack, "d", metaflow=MetaflowEvents(stack, "m"), event="e",
            consumer=SqsConsumer.pod_identity(cluster_name="c"), **args,
        )
    except BlueprintError as err:
        if err.field in props:
            raise


def _snowflake(**props: str) -> None:
    """Construct ``SnowflakeToMetaflow`` with one prop replaced (fails before any resource)."""
    from metaflow_blueprints.aws.identity import SqsConsumer
    from metaflow_blueprints.blueprints.snowflake import SnowflakeToMetaflow
    from metaflow_blueprints.metaflow_events import MetaflowEvents
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "t")
    args: dict[str, Any] = {
        "database": "DB", "schema": "S", "table": "T", "warehouse": "WH", **props
    }
    try:
        SnowflakeToMetaflow(
            stack, "d", metaflow=MetaflowEvents(stack, "m"), event="e",
            consumer=SqsConsumer.pod_identity(cluster_name="c"), **args,
        )
    except BlueprintError as err:
        if err.field in props:
            raise


#: What a Snowflake identifier prop refuses and accepts (the same rule for every one).
SNOWFLAKE_BAD = ["", "1A", "A B", 'A"B', "A'B", "A;B", "A.B", "A-B", "A\nB", "A" * 256]
SNOWFLAKE_GOOD = ["ORDERS", "orders", "_A", "A$1", "A" * 255]


def _s3_bucket(value: str) -> None:
    from metaflow_blueprints.blueprints.s3 import _check_bucket

    _check_bucket(value)


def _gcs_bucket(value: str) -> None:
    from metaflow_blueprints.blueprints.gcs import _check_bucket

    _check_bucket(value)


def _gcp(fn: str) -> Callable[[str], object]:
    from metaflow_blueprints.gcp import common

    check = getattr(common, fn)
    if fn == "topic_path":
        return lambda v: check("topic_name", v, "acme-ml-prod")
    return lambda v: check("x", v)


def _dbt_account(value: str) -> None:
    from metaflow_blueprints.blueprints.dbt_cloud import NUMERIC_ID
    from metaflow_blueprints.sources.vendor_webhook import check_values

    check_values("account_id", [value], pattern=NUMERIC_ID)


def _host(value: str) -> None:
    from metaflow_blueprints.ingress.ingress import WebhookIngress

    WebhookIngress(host=value)


def _ingress_prop(prop: str, value: str) -> None:
    from metaflow_blueprints.ingress.ingress import WebhookIngress

    WebhookIngress(host="hooks.example.com", **{prop: value})


def _webhook_url(value: str) -> None:
    from metaflow_blueprints.metaflow_events import MetaflowEvents
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "t")
    MetaflowEvents(stack, "m", webhook_url=value)


def _object_name(value: str) -> None:
    check_object_name("x", value)


def _event(value: str) -> None:
    check_event("event", value)


#: (variable, construct check, values the construct rejects, values it accepts); the same
#: variable name means the same rule in every module that has it.
CASES: dict[str, tuple[Callable[[str], object], list[str], list[str]]] = {
    "name": (_object_name, BAD_NAMES, GOOD_NAMES),
    "event": (_event, BAD_EVENTS, GOOD_EVENTS),
    "event_bus": (_object_name, BAD_NAMES, ["default", "a" * 47]),
    "namespace": (
        lambda v: _namespace(v),
        BAD_NAMESPACES,
        ["metaflow", "a", "0a", "a" * 63],
    ),
    "webhook_url": (_webhook_url, ["ftp://x", "x", "httpx://y"], ["http://a:1/b", "https://x"]),
    "endpoint": (
        lambda v: _endpoint(v),
        ["", "no-slash", "/health", "/sp ace", "/q?x=1"],
        ["/hooks/orders", "/a"],
    ),
    "bucket_name@s3": (
        _s3_bucket,
        ["", "ab", "Upper", "a..b", "-ab", "ab-", "arn:aws:s3:::b", "s3://b", "a" * 64, "a_b"],
        ["raw", "raw-landing", "a.b.c", "a" * 63, "1ab"],
    ),
    "bucket_name@gcs": (
        _gcs_bucket,
        ["", "ab", "Upper", "gs://b", "a/b", "-ab", "ab.", "a" * 223],
        ["acme-raw-landing", "a_b", "a.b", "abc", "a" * 222],
    ),
    "oidc_provider_arn": (
        lambda v: _irsa(arn=v),
        ["", "arn:aws:iam::1:role/x", "oidc.eks.us-east-1.amazonaws.com/id/A"],
        ["arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/A"],
    ),
    "oidc_issuer": (
        lambda v: _irsa(issuer=v),
        ["", "no-slash"],
        ["https://oidc.eks.us-east-1.amazonaws.com/id/A", "oidc.eks.x.amazonaws.com/id/B"],
    ),
    "table_name": (
        lambda v: _dynamodb(table_name=v),
        ["", "ab", "has space", "a/b", "a" * 256, "arn:aws:dynamodb:x"],
        ["orders", "a.b-c_d", "a" * 255],
    ),
    "stream_arn": (
        lambda v: _dynamodb(stream_arn=v),
        ["", "arn:aws:dynamodb:r:1:table/orders", "arn:aws:sqs:r:1:table/x/stream/y"],
        ["arn:aws:dynamodb:us-east-1:1:table/orders/stream/2025-01-01T00:00:00.000"],
    ),
    "project": (
        _gcp("check_project"),
        ["", "short", "Upper-case", "1starts", "ends-", "a" * 31, "my project"],
        ["acme-ml-prod", "abcdef", "a" * 30],
    ),
    "bucket_project": (
        _gcp("check_project"),
        ["", "short", "Upper-case", "ends-"],
        ["acme-landing"],
    ),
    "subscription_id": (
        _gcp("check_resource_id"),
        ["", "ab", "1abc", "goog-x", "GOOG", "has space", "a/b", "a" * 256],
        ["mfb-orders", "abc", "goo", "goox", "a" * 255, "A.b~c+d%e_f"],
    ),
    "service_account_id": (
        _gcp("check_account_id"),
        ["", "mfb-a", "Upper-x", "1abcdef", "abcdef-", "a" * 31, "a_bcdef"],
        ["mfb-orders", "abcdef", "a" * 30],
    ),
    "topic_name": (
        _gcp("topic_path"),
        ["", "ab", "goog-x", "Goog-x", "projects/acme-ml-prod/subscriptions/s",
         "projects/BAD/topics/orders", "projects/acme-ml-prod/topics/goog-x", "a/b",
         "projects/acme-ml-prod/topics/ab"],
        ["orders", "goo", "projects/acme-ml-prod/topics/orders", "A.b~c+d%e_f"],
    ),
    **{
        f"{prop}@snowflake": (
            (lambda p: lambda v: _snowflake(**{p: v}))(prop), SNOWFLAKE_BAD, SNOWFLAKE_GOOD
        )
        for prop in ("database", "schema", "table", "warehouse")
    },
    "account_id": (_dbt_account, ["", "12a", "-1", "1 2", "0x1"], ["43786", "0"]),
    "host": (
        _host,
        ["", "https://h", "h:443", "h/x", "*.example.com", "203.0.113.7", "a b", "a" * 254],
        ["hooks.example.com", "localhost", "a-1.b2.example"],
    ),
    "tls_secret_name": (
        lambda v: _ingress_prop("tls_secret_name", v),
        ["Bad_Name", "a b", "-a", "a" * 254],
        ["hooks-tls", "a.b", ("a" * 61 + ".") * 4 + "a"],
    ),
    "ingress_class_name": (
        lambda v: _ingress_prop("class_name", v),
        ["Nginx", "a b", "a_b"],
        ["nginx", "alb", "internet-facing"],
    ),
}


def _namespace(value: str) -> None:
    from metaflow_blueprints.metaflow_events import _check_namespace

    _check_namespace(value)


def _endpoint(value: str) -> None:
    from metaflow_blueprints.argo import WebhookEvent

    WebhookEvent(endpoint=value)


#: Where a module is knowingly stricter than the construct (Terraform cannot hash, or the
#: value goes unescaped into a pattern): variable -> {module: values only the module rejects}.
STRICTER: dict[str, dict[str, list[str]]] = {
    "name": {
        **{m: ["a" * 43, "a" * 47] for m in ("webhook", "s3", "dynamodb", "dbt-cloud",
                                            "fivetran", "snowflake")},
        # mfb-<name> is a service account id (<= 30) and <name> a topic (>= 3, no goog).
        **{m: ["a" * 27, "a", "ab", "goog-x", "google"] for m in ("pubsub", "gcs")},
    },
    "prefix": {"s3": ["a*", 'a"b', "a\\b", "a\nb"]},
    "suffix": {"s3": ["*.csv", 'a"', "\\", "\t"]},
}


def _case(module_name: str, var: str) -> tuple[Callable[[str], object], list[str], list[str]]:
    return CASES.get(f"{var}@{module_name}") or CASES[var]


def test_every_validated_input_has_construct_cases(modules: dict[str, Any]) -> None:
    for name, mod in modules.items():
        for var, body in mod.doc["variable"].items():
            if body.get("validation") and var not in ("prefix", "suffix"):
                assert _case(name, var), f"{name}.{var}: add construct cases to CASES"


def test_validations_reject_what_the_constructs_reject(modules: dict[str, Any]) -> None:
    checked = 0
    for name, mod in sorted(modules.items()):
        for var, body in mod.doc["variable"].items():
            if not body.get("validation") or (var not in CASES and f"{var}@{name}" not in CASES):
                continue
            check, bad, good = _case(name, var)
            stricter = STRICTER.get(var, {}).get(name, [])
            for value in bad:
                assert _rejects(check, value), f"construct accepts {var}={value!r}"
                assert not _module_accepts(mod, var, value), f"{name}.{var}={value!r} passes"
            for value in good:
                assert not _rejects(check, value), f"construct rejects {var}={value!r}"
                if value in stricter:
                    continue
                assert _module_accepts(mod, var, value), f"{name}.{var}={value!r} refused"
            for value in stricter:
                assert not _module_accepts(mod, var, value), f"{name}.{var}={value!r} passes"
            checked += 1
    assert checked >= 40


def test_s3_key_filters_accept_ordinary_keys_and_refuse_pattern_characters(
    modules: dict[str, Any],
) -> None:
    s3 = modules["s3"]
    for value in ["", "uploads/", ".csv", "dir with space/ü", "a+b=c&d"]:
        assert _module_accepts(s3, "prefix", value), value
        assert _module_accepts(s3, "suffix", value), value
    for var, values in (("prefix", STRICTER["prefix"]["s3"]), ("suffix", STRICTER["suffix"]["s3"])):
        for value in values:
            assert not _module_accepts(s3, var, value), (var, value)


def test_gcp_name_rules_match_the_resources_named_after_it(modules: dict[str, Any]) -> None:
    from metaflow_blueprints.gcp.common import check_account_id, check_resource_id

    for name in ("pubsub", "gcs"):
        mod = modules[name]
        for value in ["abc", "orders-ready", "goo", "a" * 26]:
            assert _module_accepts(mod, "name", value), (name, value)
            check_account_id("service_account_id", f"mfb-{value}")
            check_resource_id("topic", value)
        for value in ["ab", "goog", "google-x"]:
            assert not _module_accepts(mod, "name", value), (name, value)
            assert _rejects(lambda v: check_resource_id("topic", v), value)


# --- what each module fixes or rewrites ------------------------------------------------------


def _manifests(mod: Any) -> dict[str, dict[str, Any]]:
    return {
        m["manifest"]["kind"]: m["manifest"]
        for m in mod.doc["resource"]["kubernetes_manifest"].values()
    }


def test_module_object_names_come_from_var_name(modules: dict[str, Any]) -> None:
    for name, mod in modules.items():
        objects = _manifests(mod)
        assert objects["EventSource"]["metadata"]["name"] == "${var.name}", name
        assert objects["Sensor"]["metadata"]["name"] == "mfb--${var.name}", name
        assert mod.doc["output"]["sensor_name"]["value"] == "mfb--${var.name}"
        assert "provider" not in mod.doc and "backend" not in mod.doc["terraform"]


def test_s3_module_uses_eventbridge_and_the_issuer_host(modules: dict[str, Any]) -> None:
    doc = modules["s3"].doc
    (notification,) = doc["resource"]["aws_s3_bucket_notification"].items()
    assert notification[0] == "bucket_eventbridge"
    assert notification[1]["eventbridge"] is True and "queue" not in notification[1]
    assert notification[1]["count"] == "${var.enable_bucket_eventbridge ? 1 : 0}"
    (rule,) = doc["resource"]["aws_cloudwatch_event_rule"].values()
    assert '"wildcard": "${var.prefix}*${var.suffix}"' in rule["event_pattern"]
    (role,) = doc["resource"]["aws_iam_role"].values()
    assert '"${trimprefix(var.oidc_issuer, "https://")}:sub"' in role["assume_role_policy"]
    assert doc["variable"]["prefix"]["nullable"] is False


def test_dynamodb_module_reads_no_table_at_plan(modules: dict[str, Any]) -> None:
    doc = modules["dynamodb"].doc
    assert "aws_dynamodb_table" not in doc.get("data", {})
    (pipe,) = doc["resource"]["aws_pipes_pipe"].values()
    assert pipe["source"] == "${var.stream_arn}"


def test_gcp_modules_rewrite_python_defaults_as_expressions(modules: dict[str, Any]) -> None:
    for name in ("pubsub", "gcs"):
        doc = modules[name].doc
        subs = doc["resource"]["google_pubsub_subscription"].values()
        names = sorted(s["name"] for s in subs)
        assert names[0] == '${coalesce(var.subscription_id, "mfb-${var.name}")}', name
        (account,) = doc["resource"]["google_service_account"].values()
        assert account["account_id"] == '${coalesce(var.service_account_id, "mfb-${var.name}")}'
        assert doc["output"]["service_account_email"]["value"].endswith(".email}")
    (sub,) = (
        s for s in modules["pubsub"].doc["resource"]["google_pubsub_subscription"].values()
        if s["topic"] == "${var.topic_name}"
    )
    assert sub


def test_vendor_modules_expose_urls_only_as_sensitive_outputs(modules: dict[str, Any]) -> None:
    for name in ("dbt-cloud", "fivetran"):
        doc = modules[name].doc
        assert set(doc["terraform"]["required_providers"]) == {"kubernetes", "random"}
        for out in ("url", "external_url"):
            assert doc["output"][out]["sensitive"] is True
            assert "sensitive(random_id." in doc["output"][out]["value"]
        assert doc["output"]["external_url"]["value"].startswith("https://${var.host}/")
    sensor = _manifests(modules["dbt-cloud"])["Sensor"]
    filters = sensor["spec"]["dependencies"][0]["filters"]["data"]
    account = next(f for f in filters if f["path"] == "metaflow.account_id")
    assert account["value"] == ['^${regex("^[0-9]+$", var.account_id)}$']


def test_examples_are_valid_hcl_identifiers() -> None:
    for name in registry.names():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name)


def test_dead_letter_alarms_and_alerts_are_module_variables(modules: dict[str, Any]) -> None:
    """The created DLQ's alarm (AWS) / dead-letter alert policy (GCP): on by default, off
    with the variable (``count``), actions or channels from the list variable."""
    alarm = ("aws_cloudwatch_metric_alarm", "dead_letter_alarm", "alarm_actions",
             "dead_letter_alarm_actions")
    alert = ("google_monitoring_alert_policy", "dead_letter_alert", "notification_channels",
             "dead_letter_notification_channels")
    watched = {"s3": alarm, "dynamodb": alarm, "snowflake": alarm, "pubsub": alert, "gcs": alert}
    for name, mod in modules.items():
        if name not in watched:
            assert "aws_cloudwatch_metric_alarm" not in mod.doc["resource"], name
            continue
        type_, switch, targets, listed = watched[name]
        (resource,) = mod.doc["resource"][type_].values()
        assert resource["count"] == f"${{var.{switch} ? 1 : 0}}", name
        assert resource[targets] == f"${{var.{listed}}}", name
        assert mod.doc["variable"][switch]["default"] is True
        assert mod.doc["variable"][listed]["type"] == "list(string)"
        assert mod.doc["variable"][listed]["default"] == []
