"""FivetranToMetaflow: replay of realistic Fivetran deliveries, registration, errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.ingress import WebhookIngress
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.replay.testing import assert_no_trigger, replay_events
from metaflow_blueprints.runtime import TerraformVariable
from metaflow_blueprints.sources.base import event_key
from tests.helpers import REPO, resources, synth

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events" / "vendor_webhooks"
EVENT = "fivetran.sync.succeeded"
JSON = {"Content-Type": "application/json"}
INGRESS = WebhookIngress(host="hooks.example.com", tls_secret_name="tls", class_name="nginx")

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {"connector_ids": ["mystery_fabulous"]},
    "failures_too": {"statuses": ("SUCCESSFUL", "FAILURE_WITH_TASK")},
    "group": {"group_ids": ["deck_enjoy"]},
}


@pytest.fixture(scope="module")
def stack() -> tuple[dict[str, Any], dict[str, str]]:
    sources: dict[str, str] = {}

    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        for id_, extra in VARIANTS.items():
            hook = FivetranToMetaflow(scope, id_, metaflow=metaflow, event=EVENT, **extra)
            sources[id_] = f"{hook.name}/{event_key(EVENT)}"

    return synth(build), sources


def _event(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return body


def _fire(stack: tuple[dict[str, Any], dict[str, str]], variant: str, body: Any) -> list[Any]:
    terraform, sources = stack
    return replay_events(terraform, body, source=sources[variant], headers=JSON, now=NOW)


def _silent(stack: tuple[dict[str, Any], dict[str, str]], variant: str, body: Any) -> None:
    terraform, sources = stack
    assert_no_trigger(terraform, body, source=sources[variant], headers=JSON, now=NOW)


def test_successful_sync_posts_the_exact_metaflow_event(stack: Any) -> None:
    (event,) = _fire(stack, "default", _event("fivetran_sync_end_successful"))
    assert event == {
        "name": EVENT,
        "payload": {
            "name": EVENT,
            "id": "1d3e6b4c-7a2f-4c1e-9b55-0f2d8e7a9c31",
            "timestamp": 1767246432,  # created, 2026-01-01T05:47:12.386Z
            "utc_date": "20260101",
            "connector_id": "mystery_fabulous",
            "connector_name": "salesforce_prod",
            "connector_type": "salesforce",
            "group_id": "deck_enjoy",
            "sync_id": "1d3e6b4c-7a2f-4c1e-9b55-0f2d8e7a9c31",
            "status": "SUCCESSFUL",
            "created": "2026-01-01T05:47:12.386Z",
        },
    }


def test_failed_sync_starts_nothing_by_default(stack: Any) -> None:
    _silent(stack, "default", _event("fivetran_sync_end_failure_with_task"))
    _silent(stack, "group", _event("fivetran_sync_end_failure_with_task"))


def test_failed_sync_fires_when_asked(stack: Any) -> None:
    (event,) = _fire(stack, "failures_too", _event("fivetran_sync_end_failure_with_task"))
    assert event["payload"]["status"] == "FAILURE_WITH_TASK"


def test_test_event_starts_nothing(stack: Any) -> None:
    for variant in VARIANTS:
        _silent(stack, variant, _event("fivetran_test"))


def test_other_events_and_connectors_start_nothing(stack: Any) -> None:
    sync_start = {**_event("fivetran_sync_end_successful"), "event": "sync_start"}
    _silent(stack, "default", sync_start)
    other = {**_event("fivetran_sync_end_successful"), "connector_id": "mystery_fabulous_2"}
    _silent(stack, "default", other)


def test_older_payloads_fall_back_to_group_id(stack: Any) -> None:
    body = _event("fivetran_sync_end_successful")
    body["group_id"] = body.pop("destination_group_id")
    (event,) = _fire(stack, "group", body)
    assert event["payload"]["group_id"] == "deck_enjoy"
    body["group_id"] = "other_group"
    _silent(stack, "group", body)


def test_missing_group_is_left_out_and_fails_a_group_filter(stack: Any) -> None:
    body = _event("fivetran_sync_end_successful")
    del body["destination_group_id"]
    (event,) = _fire(stack, "default", body)
    assert "group_id" not in event["payload"]
    _silent(stack, "group", body)


def test_register_account_webhook_with_generated_signing_secret() -> None:
    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        FivetranToMetaflow(
            scope, "ft", metaflow=metaflow, event=EVENT, ingress=INGRESS, register_webhook=True
        )

    terraform = synth(build)
    (hook,) = resources(terraform, "fivetran_webhook").values()
    (password,) = resources(terraform, "random_password")
    (random_id,) = resources(terraform, "random_id")
    assert hook["type"] == "account" and "group_id" not in hook
    assert hook["events"] == ["sync_end"] and hook["active"] is True
    assert (
        hook["url"]
        == f"https://hooks.example.com/test-ft/${{sensitive(random_id.{random_id}.hex)}}"
    )
    assert hook["secret"] == f"${{random_password.{password}.result}}"
    (secret,) = resources(terraform, "kubernetes_secret_v1").values()
    assert secret["metadata"]["name"] == "test-ft-signing"
    assert secret["data"] == {"secret": hook["secret"]}
    assert terraform["terraform"]["required_providers"]["fivetran"]["source"] == "fivetran/fivetran"


def test_register_one_group_webhook_per_group_with_user_secret() -> None:
    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        secret = TerraformVariable(scope, "ft_secret", type="string", sensitive=True)
        FivetranToMetaflow(
            scope,
            "ft",
            metaflow=metaflow,
            event=EVENT,
            group_ids=["deck_enjoy", "fern_tangent"],
            ingress=INGRESS,
            register_webhook=True,
            signing_secret=secret.string_value,
        )

    terraform = synth(build)
    hooks = sorted(resources(terraform, "fivetran_webhook").values(), key=lambda h: h["group_id"])
    assert [(h["type"], h["group_id"], h["secret"]) for h in hooks] == [
        ("group", "deck_enjoy", "${var.ft_secret}"),
        ("group", "fern_tangent", "${var.ft_secret}"),
    ]
    assert "random_password" not in terraform["resource"]
    (secret,) = resources(terraform, "kubernetes_secret_v1").values()
    assert secret["data"] == {"secret": "${var.ft_secret}"}
    (deployment,) = resources(terraform, "kubernetes_deployment_v1").values()
    env = {
        e["name"]: e["value"] for e in deployment["spec"]["template"]["spec"]["container"][0]["env"]
    }
    assert env["VERIFIER_VENDOR"] == "fivetran"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"connector_ids": "mystery_fabulous"}, "connector_ids"),
        ({"connector_ids": ["has space"]}, "connector_ids"),
        ({"group_ids": []}, "group_ids"),
        ({"statuses": ("successful",)}, "statuses"),
        ({"statuses": ()}, "statuses"),
        ({"register_webhook": True}, "register_webhook"),
        ({"signing_secret": "literal-s3cret"}, "signing_secret"),
        (
            {
                "register_webhook": True,
                "ingress": INGRESS,
                "signing_secret": SecretKeyRef("a", "b"),
            },
            "signing_secret",
        ),
        ({"path_bytes": 15}, "path_bytes"),
        ({"event": ""}, "event"),
    ],
)
def test_bad_props_fail_before_anything_is_created(overrides: dict[str, Any], field: str) -> None:
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "errors")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    with pytest.raises(BlueprintError) as info:
        FivetranToMetaflow(stack, "ft", metaflow=metaflow, **{"event": EVENT, **overrides})
    assert info.value.field == field
    assert stack.node.try_find_child("ft") is None
