"""WebhookToMetaflow: synthesized resources, errors, schema, checkov, replay end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.argo import DataFilter, SecretKeyRef
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.ingress import NGINX_ALLOWLIST, WebhookIngress
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.replay.testing import (
    assert_no_trigger,
    replay_events,
    stack_from_manifests,
)
from metaflow_blueprints.runtime import TerraformVariable
from tests.helpers import REPO, checkov_failures, manifests, resources, synth

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events" / "webhook"
BEARER = {"Authorization": "Bearer secret-token", "Content-Type": "application/json"}


def _build(stack: Any, **overrides: Any) -> WebhookToMetaflow:
    if "metaflow" not in overrides:
        overrides["metaflow"] = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    kwargs: dict[str, Any] = {
        "event": "data.updated",
        "payload": {"table": "table", "partition": "partition"},
        "filters": [DataFilter.at("body.status").string().equals("ready")],
        "id_path": "delivery_id",
        "ingress": WebhookIngress(
            host="hooks.example.com",
            tls_secret_name="tls",
            class_name="nginx",
            allowed_source_ranges=["203.0.113.0/24"],
        ),
    }
    kwargs.update(overrides)
    return WebhookToMetaflow(stack, "hook", **kwargs)


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    return synth(_build)


def test_resources_and_names(terraform: dict[str, Any]) -> None:
    (source,) = manifests(terraform, "EventSource")
    (sensor,) = manifests(terraform, "Sensor")
    assert source["metadata"] == {
        "name": "test-hook",
        "namespace": "metaflow",
        "labels": {"app.kubernetes.io/managed-by": "metaflow-blueprints"},
    }
    webhook = source["spec"]["webhook"]["data-updated"]
    assert webhook == {
        "endpoint": "/test-hook",
        "port": "12000",
        "method": "POST",
        "url": "",  # no omitempty in Go: the controller writes it back
        "authSecret": {"name": "test-hook-token", "key": "token"},
    }
    assert source["spec"]["service"] == {"ports": [{"port": 12000, "targetPort": 12000}]}
    assert sensor["metadata"]["name"] == "mfb--test-hook"
    dependency = sensor["spec"]["dependencies"][0]
    assert (dependency["eventSourceName"], dependency["eventName"]) == ("test-hook", "data-updated")
    (password,) = resources(terraform, "random_password").values()
    assert password["length"] == 48 and password["special"] is False
    (secret,) = resources(terraform, "kubernetes_secret_v1").values()
    assert secret["metadata"]["name"] == "test-hook-token"
    assert secret["data"]["token"].startswith("${random_password.")
    (ingress,) = resources(terraform, "kubernetes_ingress_v1").values()
    assert ingress["metadata"]["annotations"][NGINX_ALLOWLIST] == "203.0.113.0/24"
    rule = ingress["spec"]["rule"][0]
    assert rule["host"] == "hooks.example.com"
    assert rule["http"]["path"][0]["path"] == "/test-hook"
    assert rule["http"]["path"][0]["path_type"] == "Exact"
    assert rule["http"]["path"][0]["backend"]["service"]["name"] == "test-hook-eventsource-svc"
    assert ingress["spec"]["tls"] == [{"hosts": ["hooks.example.com"], "secret_name": "tls"}]


def test_event_source_waits_for_its_secret(terraform: dict[str, Any]) -> None:
    (address,) = [
        k
        for k, v in resources(terraform, "kubernetes_manifest").items()
        if v["manifest"]["kind"] == "EventSource"
    ]
    depends = resources(terraform, "kubernetes_manifest")[address]["depends_on"]
    (sensor,) = [
        k for k, v in resources(terraform, "kubernetes_manifest").items()
        if v["manifest"]["kind"] == "Sensor"
    ]
    assert depends == [
        f"kubernetes_secret_v1.{next(iter(resources(terraform, 'kubernetes_secret_v1')))}",
        f"kubernetes_manifest.{sensor}",
    ]


def test_token_only_in_a_sensitive_output(terraform: dict[str, Any]) -> None:
    outputs = terraform["output"]
    secret_refs = [o for o in outputs.values() if "random_password" in json.dumps(o["value"])]
    assert len(secret_refs) == 1 and secret_refs[0]["sensitive"] is True
    urls = {o["value"] for o in outputs.values() if not o.get("sensitive")}
    assert urls == {
        "http://test-hook-eventsource-svc.metaflow.svc:12000/test-hook",
        "https://hooks.example.com/test-hook",
    }


def test_manifests_pass_the_strict_schema(terraform: dict[str, Any], strict_validator: Any) -> None:
    for manifest in manifests(terraform):
        assert strict_validator.errors(manifest) == []


def test_checkov_clean(terraform: dict[str, Any], tmp_path: Path) -> None:
    assert checkov_failures(terraform, tmp_path) == []


# --- behaviour: replay --------------------------------------------------------------


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_ready_event_posts_the_exact_metaflow_event(terraform: dict[str, Any]) -> None:
    (event,) = replay_events(terraform, _event("data_ready.json"), headers=BEARER, now=NOW)
    assert event == {
        "name": "data.updated",
        "payload": {
            "name": "data.updated",
            "id": "7f0c1c7f-5d11-4c3e-9a57-0b5b8f0e3f0c",
            "timestamp": 1767225600,
            "utc_date": "20260101",
            "table": "analytics.orders",
            "partition": "2026-01-01",
        },
    }


def test_events_that_must_not_start_a_flow(terraform: dict[str, Any]) -> None:
    assert_no_trigger(terraform, _event("data_failed.json"), headers=BEARER, now=NOW)
    missing_table = {k: v for k, v in _event("data_ready.json").items() if k != "table"}
    assert_no_trigger(terraform, missing_table, headers=BEARER, now=NOW)
    # No bearer token: the EventSource answers 401 and publishes nothing.
    assert_no_trigger(terraform, _event("data_ready.json"), now=NOW)


def test_optional_fields_and_context_id() -> None:
    terraform = synth(
        lambda stack: _build(
            stack,
            payload={"table": "table", "rows": PayloadField.path("rows", root=["body"], default=0)},
            filters=None,
            id_path=None,
            auth=None,
            ingress=None,
        )
    )
    (source,) = manifests(terraform, "EventSource")
    assert "authSecret" not in source["spec"]["webhook"]["data-updated"]
    assert "random_password" not in terraform.get("resource", {})
    (event,) = replay_events(terraform, {"table": "t"}, now=NOW)
    assert event["payload"]["rows"] == 0
    assert len(event["payload"]["id"]) >= 16  # the Argo event id of this delivery


def test_bring_your_own_token_secret() -> None:
    terraform = synth(lambda stack: _build(stack, auth_secret=SecretKeyRef("my-hook", "bearer")))
    assert "random_password" not in terraform.get("resource", {})
    (source,) = manifests(terraform, "EventSource")
    assert source["spec"]["webhook"]["data-updated"]["authSecret"] == {
        "name": "my-hook",
        "key": "bearer",
    }


def test_metaflow_webhook_auth_token_becomes_a_bearer_header_secret() -> None:
    def build(stack: Any) -> None:
        token = TerraformVariable(stack, "metaflow_token", type="string", sensitive=True)
        metaflow = MetaflowEvents(
            stack, "metaflow", namespace="metaflow", webhook_auth_token=token.string_value
        )
        _build(stack, metaflow=metaflow)

    terraform = synth(build)
    secrets = {
        s["metadata"]["name"]: s for s in resources(terraform, "kubernetes_secret_v1").values()
    }
    auth = secrets["mfb-test-metaflow-auth"]
    assert auth["data"] == {"authorization": "Bearer ${var.metaflow_token}"}
    (sensor,) = manifests(terraform, "Sensor")
    header = sensor["spec"]["triggers"][0]["template"]["http"]["secureHeaders"][0]
    assert header == {
        "name": "Authorization",
        "valueFrom": {"secretKeyRef": {"name": "mfb-test-metaflow-auth", "key": "authorization"}},
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event": "data updated"}, "event"),
        ({"payload": {"id": "x"}}, "payload"),
        ({"payload": {"a.b": "x"}}, "payload"),
        ({"payload": {"a": "items.#"}}, "path"),
        ({"payload": {"a": 3}}, "payload['a']"),
        ({"auth": "basic"}, "auth"),
        ({"auth": None, "auth_secret": SecretKeyRef("a", "b")}, "auth_secret"),
        ({"endpoint": "hook"}, "WebhookEvent.endpoint"),
        ({"port": 0}, "WebhookEvent.port"),
        ({"name": "Bad_Name"}, "name"),
        ({"filters": "body.x"}, "filters"),
        ({"payload": {"name": "x"}}, "payload"),
        ({"metaflow": "metaflow"}, "metaflow"),
    ],
)
def test_bad_input_is_refused_before_anything_is_created(
    overrides: dict[str, Any], field: str
) -> None:
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "s")
    with pytest.raises(BlueprintError) as error:
        _build(stack, **overrides)
    assert error.value.field == field
    # No construct at all (refused by its type hints), or one without children.
    hooks = [c for c in stack.node.children if c.node.id == "hook"]
    assert all(h.node.children == [] for h in hooks), "resources created before the refusal"


def test_ingress_and_metaflow_errors() -> None:
    with pytest.raises(BlueprintError) as error:
        WebhookIngress(host="https://hooks.example.com")
    assert error.value.field == "WebhookIngress.host"
    with pytest.raises(BlueprintError) as error:
        WebhookIngress(host="h", allowed_source_ranges=["10.0.0.0/33"])
    assert error.value.field == "WebhookIngress.allowed_source_ranges"

    def both(stack: Any) -> None:
        MetaflowEvents(
            stack, "m", webhook_auth_secret=SecretKeyRef("a", "b"), webhook_auth_token="t"
        )

    with pytest.raises(BlueprintError, match="webhook_auth_secret/webhook_auth_token"):
        synth(both)
    with pytest.raises(BlueprintError) as error:
        synth(lambda stack: MetaflowEvents(stack, "m", webhook_auth_token="t0ken-literal"))
    assert error.value.field == "webhook_auth_token"
    assert "t0ken-literal" not in str(error.value)
    with pytest.raises(BlueprintError) as error:
        synth(lambda stack: MetaflowEvents(stack, "m", namespace="Bad_NS"))
    assert error.value.field == "namespace"


# --- the example flow, compiled by Metaflow itself --------------------------------------


def _metaflow_sensor(flow_file: Path, flow_class: str, namespace: str) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "metaflow_sensor.py"),
            str(flow_file),
            flow_class,
            namespace,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def test_example_flow_starts_from_what_the_bridge_posts(terraform: dict[str, Any]) -> None:
    """Bridge output -> Metaflow's webhook -> Metaflow's own compiled sensor -> Workflow."""
    sensor = _drop_nulls(
        _metaflow_sensor(
            REPO / "examples" / "flows" / "data_updated_flow.py", "DataUpdatedFlow", "metaflow"
        )
    )
    expr = sensor["spec"]["dependencies"][0]["filters"]["exprs"][0]
    assert expr["expr"] == "name == 'data.updated'"
    (posted,) = replay_events(terraform, _event("data_ready.json"), headers=BEARER, now=NOW)

    metaflow_webhook = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventSource",
        "metadata": {"name": "argo-events-webhook", "namespace": "metaflow"},
        "spec": {
            "webhook": {
                "metaflow-event": {"endpoint": "/metaflow-event", "port": "12000", "method": "POST"}
            }
        },
    }
    from metaflow_blueprints.replay import replay

    result = replay(stack_from_manifests([metaflow_webhook, sensor]), event=posted, now=NOW)
    (fired,) = result.fired
    parameters = {
        p["name"]: p["value"] for p in fired["resource"]["spec"]["arguments"]["parameters"]
    }
    assert parameters["table"] == '"analytics.orders"'
    assert parameters["partition"] == '"2026-01-01"'
    carried = json.loads(parameters["dataupdated_nn77"])
    assert carried["timestamp"] == 1767225600 and carried["name"] == "data.updated"
