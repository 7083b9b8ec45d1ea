"""Every module: committed copy (modules/, docs/export.md tables) is current, README example
complete, what each module fixes or rewrites. Validations: tests/test_rules.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

from metaflow_blueprints.export import docs, module, registry
from metaflow_blueprints.runtime import FRAMEWORK

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


def test_docs_module_tables_are_current(modules: dict[str, Any]) -> None:
    path = REPO / "docs" / "export.md"
    text = path.read_text()
    fresh = docs.render(text, [modules[name].spec for name in sorted(modules)])
    assert fresh == text, "docs/export.md module tables are stale: run `make modules`."


def test_readme_lists_what_the_module_fixes_with_the_construct_defaults(
    modules: dict[str, Any],
) -> None:
    """The values come from the construct's signature: change a default, the README follows."""
    from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
    from metaflow_blueprints.props import signature_params

    mod = modules["pubsub"]
    defaults = {p.name: p.default for p in signature_params(PubSubToMetaflow.__init__)}
    fixed = {f.prop: f.value for f in mod.spec.fixed}
    assert fixed["message_retention_seconds"] == repr(defaults["message_retention_seconds"])
    inputs = {i.name for i in mod.spec.inputs}
    assert not inputs & set(fixed), "a prop is both an input and fixed"
    readme = module.render_readme(mod, "")
    assert f"| `message_retention_seconds` | `{defaults['message_retention_seconds']}` |" in readme
    # An object-typed prop is left out with the computed reason.
    assert "| `metaflow.retry` | `None` | takes a Python object" in readme


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
