"""Reference stack ``vendor_webhooks``: schema, checkov, routing, no secret in plain outputs."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.ingress.secret_path import MIN_BYTES
from metaflow_blueprints.replay.testing import assert_no_trigger
from metaflow_blueprints.runtime import App, synth_stack
from stacks import settings as settings_module
from stacks.vendor_webhooks import VendorWebhooksStack
from tests.helpers import REPO, checkov_failures, manifests, resources

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events" / "vendor_webhooks"
SECRET_PATH = re.compile(r"^/([a-z0-9-]+)/\$\{sensitive\(random_id\.([A-Za-z0-9_]+)\.hex\)\}$")
#: References that carry secret material (tokens, signing secrets, the random path).
SECRET_REFS = re.compile(
    r"random_id\.|random_password\.|hmac_secret|sensitive\(|kubernetes_secret_v1\.|"
    r"fivetran_webhook\.|dbtcloud_webhook\."
)
VENDORS = ("vendor-webhooks-dbt-cloud", "vendor-webhooks-fivetran")


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    stack = VendorWebhooksStack(App(), "vendor_webhooks", settings_module.load())
    return synth_stack(stack)


def _event_sources(terraform: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests(terraform, "EventSource")}


def test_manifests_pass_the_strict_schema(terraform: dict[str, Any], strict_validator: Any) -> None:
    found = manifests(terraform)
    assert len(found) == 6  # three EventSources, three bridge Sensors
    for manifest in found:
        assert strict_validator.errors(manifest) == []


def test_checkov_clean(terraform: dict[str, Any], tmp_path: Path) -> None:
    assert checkov_failures(terraform, tmp_path) == []


def test_vendor_endpoints_are_random_paths_of_at_least_128_bits(terraform: dict[str, Any]) -> None:
    random_ids = resources(terraform, "random_id")
    sources = _event_sources(terraform)
    for name in VENDORS:
        (webhook,) = sources[name]["spec"]["webhook"].values()
        assert "authSecret" not in webhook  # neither vendor can send a bearer token
        match = SECRET_PATH.match(webhook["endpoint"])
        assert match is not None, webhook["endpoint"]
        assert match.group(1) == name
        assert random_ids[match.group(2)]["byte_length"] >= MIN_BYTES


def test_vendor_ingresses_route_to_the_verifier(terraform: dict[str, Any]) -> None:
    ingresses = resources(terraform, "kubernetes_ingress_v1").values()
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses
        for rule in ingress["spec"]["rule"]
        for path in rule["http"]["path"]
    }
    assert backends == {
        "vendor-webhooks-data-updated-eventsource-svc",  # bearer token: Argo checks it
        "vendor-webhooks-dbt-cloud-verifier",
        "vendor-webhooks-fivetran-verifier",
    }
    deployments = resources(terraform, "kubernetes_deployment_v1").values()
    vendors = {
        d["metadata"]["name"]: {
            e["name"]: e["value"] for e in d["spec"]["template"]["spec"]["container"][0]["env"]
        }["VERIFIER_VENDOR"]
        for d in deployments
    }
    assert vendors == {
        "vendor-webhooks-dbt-cloud-verifier": "dbt-cloud",
        "vendor-webhooks-fivetran-verifier": "fivetran",
    }
    policies = resources(terraform, "kubernetes_network_policy_v1").values()
    assert {p["spec"]["pod_selector"]["match_labels"]["eventsource-name"] for p in policies} == set(
        VENDORS
    )


def test_only_the_secret_path_routes_to_a_vendor_event_source(terraform: dict[str, Any]) -> None:
    sources = _event_sources(terraform)
    ingresses = resources(terraform, "kubernetes_ingress_v1").values()
    for name in VENDORS:
        (webhook,) = sources[name]["spec"]["webhook"].values()
        routes = [
            (path["path"], path["path_type"])
            for ingress in ingresses
            for rule in ingress["spec"]["rule"]
            for path in rule["http"]["path"]
            if path["backend"]["service"]["name"] in (f"{name}-eventsource-svc", f"{name}-verifier")
        ]
        # One Exact route, equal to the EventSource endpoint: a request to any other path
        # (``/<name>``, ``/<name>/``, ``/``, a guess) is not forwarded to this service, and
        # the webhook server itself only serves its endpoint (and /health).
        assert routes == [(webhook["endpoint"], "Exact")]
        guessable = {f"/{name}", f"/{name}/", "/", "/health"}
        assert webhook["endpoint"] not in guessable


def test_a_request_at_another_endpoint_never_reaches_the_vendor_sensors(
    terraform: dict[str, Any],
) -> None:
    # A dbt delivery that reaches the generic webhook (no secret path, but a bearer token)
    # is rejected there, and even with a token only that EventSource's sensor would see it.
    body = json.loads((EVENTS / "dbt_job_run_completed_success.json").read_text())
    source = "vendor-webhooks-data-updated/data-updated"
    result = assert_no_trigger(terraform, body, source=source, now=NOW)
    assert result.dropped is not None and result.dropped.startswith("401")
    result = assert_no_trigger(
        terraform, body, source=source, headers={"Authorization": "Bearer guess"}, now=NOW
    )
    assert not any("mfb--vendor-webhooks-dbt-cloud" in line for line in result.explain)


def _walk(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk(v)]
    return []


def test_no_secret_in_any_non_sensitive_output(terraform: dict[str, Any]) -> None:
    outputs = terraform["output"]
    sensitive = {k for k, v in outputs.items() if v.get("sensitive")}
    plain = {k: v for k, v in outputs.items() if k not in sensitive}
    assert plain, "the generic webhook's in-cluster URL is a plain output"
    for name, output in plain.items():
        for text in _walk(output):
            assert not SECRET_REFS.search(text), (name, text)
    # The vendor URLs exist, but only as sensitive outputs.
    vendor_urls = [k for k in sensitive if k.startswith(("dbt_cloud_", "fivetran_"))]
    assert len(vendor_urls) == 4, sorted(sensitive)


def test_secret_path_is_marked_sensitive_wherever_it_is_used(terraform: dict[str, Any]) -> None:
    for type_, items in terraform["resource"].items():
        for logical_id, resource in items.items():
            for text in _walk(resource):
                if "random_id." in text:
                    assert "${sensitive(random_id." in text, (type_, logical_id, text)


def test_reference_app_synthesizes_the_vendor_webhooks_stack(tmp_path: Path) -> None:
    from stacks.__main__ import STACKS

    assert STACKS["vendor_webhooks"] == "stacks.vendor_webhooks:VendorWebhooksStack"
    app = App(outdir=str(tmp_path))
    VendorWebhooksStack(app, "vendor_webhooks", settings_module.load())
    app.synth()
    synthesized = json.loads((tmp_path / "stacks" / "vendor_webhooks" / "cdk.tf.json").read_text())
    assert set(synthesized["resource"]) >= {"kubernetes_manifest", "random_id"}


def _trigger_of(flow: Path) -> dict[str, Any]:
    """The literal ``@trigger(event=...)`` argument of the flow class (read with ast)."""
    import ast

    tree = ast.parse(flow.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "trigger":
                    (keyword,) = deco.keywords
                    value: dict[str, Any] = ast.literal_eval(keyword.value)
                    return value
    raise AssertionError(f"no @trigger in {flow}")


@pytest.mark.parametrize(
    ("flow", "setting", "payload"),
    [
        ("dbt_flow.py", "dbt_cloud", "dbt"),
        ("fivetran_flow.py", "fivetran", "fivetran"),
    ],
)
def test_example_flows_map_exactly_the_payload_keys_sent(
    flow: str, setting: str, payload: str
) -> None:
    from metaflow_blueprints.blueprints.dbt_cloud import dbt_payload
    from metaflow_blueprints.blueprints.fivetran import fivetran_payload
    from stacks.vendor_webhooks import DBT_CLOUD, FIVETRAN

    sent = {"dbt": dbt_payload, "fivetran": fivetran_payload}[payload]()
    event = {"dbt_cloud": DBT_CLOUD, "fivetran": FIVETRAN}[setting]["event"]
    trigger = _trigger_of(REPO / "examples" / "flows" / flow)
    assert trigger["name"] == event
    assert sorted(trigger["parameters"].values()) == sorted(sent)


def test_the_docs_usage_snippet_runs_verbatim() -> None:
    from metaflow_blueprints.runtime import TerraformStack, synth_stack
    from tests.helpers import resources

    text = (REPO / "docs" / "vendor_webhooks.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    stack = TerraformStack(App(), "docs")
    namespace: dict[str, Any] = {"stack": stack}
    exec(compile(snippet, "docs/vendor_webhooks.md", "exec"), namespace)
    terraform = synth_stack(stack)
    # Both vendors end up behind a verifier: dbt by its secret, Fivetran by registration.
    assert len(resources(terraform, "kubernetes_deployment_v1")) == 2
    for ingress in resources(terraform, "kubernetes_ingress_v1").values():
        assert ingress["spec"]["tls"][0]["secret_name"] == "hooks-example-com-tls"
