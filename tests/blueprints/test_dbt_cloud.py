"""DbtCloudToMetaflow: replay of realistic dbt Cloud deliveries, registration, errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.ingress import WebhookIngress
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.replay.testing import assert_no_trigger, replay_events
from metaflow_blueprints.runtime import TerraformVariable
from metaflow_blueprints.sources.base import event_key
from tests.helpers import REPO, manifests, resources, synth

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events" / "vendor_webhooks"
EVENT = "dbt.job.completed"
JSON = {"Content-Type": "application/json"}
INGRESS = WebhookIngress(host="hooks.example.com", tls_secret_name="tls", class_name="nginx")

#: construct id -> extra props; every instance listens for account 43786, job 302418.
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "errored_too": {"statuses": ("Success", "Errored")},
    "prefix_account": {"account_id": "4378"},
    "other_env": {"environment_ids": ["999"]},
}


def _props(**overrides: Any) -> dict[str, Any]:
    return {"event": EVENT, "account_id": "43786", "job_ids": ["302418"], **overrides}


@pytest.fixture(scope="module")
def stack() -> tuple[dict[str, Any], dict[str, str]]:
    sources: dict[str, str] = {}

    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        for id_, extra in VARIANTS.items():
            hook = DbtCloudToMetaflow(scope, id_, metaflow=metaflow, **_props(**extra))
            sources[id_] = f"{hook.name}/{event_key(EVENT)}"

    return synth(build), sources


def _event(name: str, **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    body["data"].update(data)
    return body


def _fire(stack: tuple[dict[str, Any], dict[str, str]], variant: str, body: Any) -> list[Any]:
    terraform, sources = stack
    return replay_events(terraform, body, source=sources[variant], headers=JSON, now=NOW)


def _silent(stack: tuple[dict[str, Any], dict[str, str]], variant: str, body: Any) -> None:
    terraform, sources = stack
    assert_no_trigger(terraform, body, source=sources[variant], headers=JSON, now=NOW)


def test_success_posts_the_exact_metaflow_event(stack: Any) -> None:
    (event,) = _fire(stack, "default", _event("dbt_job_run_completed_success"))
    assert event == {
        "name": EVENT,
        "payload": {
            "name": EVENT,
            "id": "271935662",
            "timestamp": 1767248067,  # the delivery's timestamp, 2026-01-01T06:14:27Z
            "utc_date": "20260101",
            "account_id": "43786",
            "project_id": "170984",
            "environment_id": "218762",
            "job_id": "302418",
            "job_name": "Daily build (dbt build)",
            "run_id": "271935662",
            "run_status": "Success",
            "run_started_at": "2026-01-01T06:02:11Z",
            "run_finished_at": "2026-01-01T06:14:19Z",
        },
    }


def test_errored_run_starts_nothing_by_default(stack: Any) -> None:
    _silent(stack, "default", _event("dbt_job_run_completed_errored"))


def test_errored_run_fires_when_asked(stack: Any) -> None:
    (event,) = _fire(stack, "errored_too", _event("dbt_job_run_completed_errored"))
    assert event["payload"]["run_status"] == "Errored"
    assert event["payload"]["id"] == "271941207"


def test_other_job_starts_nothing(stack: Any) -> None:
    _silent(stack, "default", _event("dbt_job_run_completed_other_job"))


def test_other_event_types_and_accounts_start_nothing(stack: Any) -> None:
    started = {**_event("dbt_job_run_completed_success"), "eventType": "job.run.started"}
    _silent(stack, "default", started)
    other_account = {**_event("dbt_job_run_completed_success"), "accountId": "437860"}
    _silent(stack, "default", other_account)


def test_ids_match_exactly_not_as_prefixes(stack: Any) -> None:
    # account_id="4378" must not match accountId "43786" (anchored, escaped regex).
    _silent(stack, "prefix_account", _event("dbt_job_run_completed_success"))


def test_environment_filter(stack: Any) -> None:
    _silent(stack, "other_env", _event("dbt_job_run_completed_success"))


def test_numeric_ids_are_normalised_to_strings(stack: Any) -> None:
    # dbt's own docs sample sends accountId as a JSON number.
    body = {**_event("dbt_job_run_completed_success", jobId=302418), "accountId": 43786}
    (event,) = _fire(stack, "default", body)
    assert (event["payload"]["account_id"], event["payload"]["job_id"]) == ("43786", "302418")


def test_missing_run_id_is_dropped(stack: Any) -> None:
    body = _event("dbt_job_run_completed_success")
    del body["data"]["runId"]
    _silent(stack, "default", body)


def test_no_bearer_token_and_no_signing_secret_by_default(stack: Any) -> None:
    terraform, _ = stack
    for source in manifests(terraform, "EventSource"):
        (webhook,) = source["spec"]["webhook"].values()
        assert "authSecret" not in webhook
    assert "random_password" not in terraform["resource"]
    assert "kubernetes_secret_v1" not in terraform["resource"]
    assert "dbtcloud_webhook" not in terraform["resource"]
    assert "dbtcloud" not in terraform["terraform"]["required_providers"]


def test_register_webhook_creates_the_vendor_resource_and_stores_its_secret() -> None:
    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        DbtCloudToMetaflow(
            scope, "dbt", metaflow=metaflow, ingress=INGRESS, register_webhook=True, **_props()
        )

    terraform = synth(build)
    (hook,) = resources(terraform, "dbtcloud_webhook").values()
    (random_id,) = resources(terraform, "random_id")
    assert (
        hook["client_url"]
        == f"https://hooks.example.com/test-dbt/${{sensitive(random_id.{random_id}.hex)}}"
    )
    assert hook["event_types"] == ["job.run.completed"]
    assert hook["job_ids"] == ["302418"]
    assert hook["active"] is True
    assert terraform["terraform"]["required_providers"]["dbtcloud"]["source"] == "dbt-labs/dbtcloud"
    (secret,) = resources(terraform, "kubernetes_secret_v1").values()
    (hook_id,) = resources(terraform, "dbtcloud_webhook")
    assert secret["metadata"]["name"] == "test-dbt-signing"
    assert secret["data"] == {"secret": f"${{dbtcloud_webhook.{hook_id}.hmac_secret}}"}
    # The EventSource does not reference it; the verifier mounts it and the Ingress
    # routes to the verifier (signature checking is on by default with a known secret).
    (source,) = manifests(terraform, "EventSource")
    assert "test-dbt-signing" not in json.dumps(source)
    (deployment,) = resources(terraform, "kubernetes_deployment_v1").values()
    assert deployment["spec"]["template"]["spec"]["volume"][1]["secret"]["secret_name"] == (
        "test-dbt-signing"
    )
    (ingress,) = resources(terraform, "kubernetes_ingress_v1").values()
    assert ingress["spec"]["rule"][0]["http"]["path"][0]["backend"]["service"]["name"] == (
        "test-dbt-verifier"
    )


def test_user_signing_secret_is_stored_and_checked_by_the_verifier() -> None:
    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        secret = TerraformVariable(scope, "dbt_secret", type="string", sensitive=True)
        DbtCloudToMetaflow(
            scope,
            "dbt",
            metaflow=metaflow,
            signing_secret=secret.string_value,
            ingress=INGRESS,
            **_props(),
        )

    terraform = synth(build)
    (secret,) = resources(terraform, "kubernetes_secret_v1").values()
    assert secret["data"] == {"secret": "${var.dbt_secret}"}
    (source,) = manifests(terraform, "EventSource")
    assert "authSecret" not in json.dumps(source)
    (deployment,) = resources(terraform, "kubernetes_deployment_v1").values()
    pod = deployment["spec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in pod["container"][0]["env"]}
    assert env["VERIFIER_VENDOR"] == "dbt-cloud"
    assert pod["volume"][1]["secret"]["secret_name"] == "test-dbt-signing"
    (ingress,) = resources(terraform, "kubernetes_ingress_v1").values()
    backend = ingress["spec"]["rule"][0]["http"]["path"][0]["backend"]["service"]
    assert backend == {"name": "test-dbt-verifier", "port": {"number": 8080}}


def test_a_literal_signing_secret_is_refused() -> None:
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "errors")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    with pytest.raises(BlueprintError) as info:
        DbtCloudToMetaflow(stack, "dbt", metaflow=metaflow, signing_secret="hm4c", **_props())
    assert info.value.field == "signing_secret"
    assert "hm4c" not in str(info.value)
    assert stack.node.try_find_child("dbt") is None


def test_an_existing_secret_is_mounted_not_created() -> None:
    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        DbtCloudToMetaflow(
            scope,
            "dbt",
            metaflow=metaflow,
            signing_secret=SecretKeyRef("dbt-hmac", "value"),
            **_props(),
        )

    terraform = synth(build)
    assert "kubernetes_secret_v1" not in terraform["resource"]
    (deployment,) = resources(terraform, "kubernetes_deployment_v1").values()
    volume = deployment["spec"]["template"]["spec"]["volume"][1]["secret"]
    assert volume["secret_name"] == "dbt-hmac"
    assert volume["items"] == [{"key": "value", "path": "secret"}]


def test_verify_signature_false_routes_straight_to_the_event_source() -> None:
    def build(scope: Any) -> None:
        metaflow = MetaflowEvents(scope, "metaflow", namespace="metaflow")
        DbtCloudToMetaflow(
            scope,
            "dbt",
            metaflow=metaflow,
            ingress=INGRESS,
            register_webhook=True,
            verify_signature=False,
            **_props(),
        )

    terraform = synth(build)
    assert "kubernetes_deployment_v1" not in terraform["resource"]
    (ingress,) = resources(terraform, "kubernetes_ingress_v1").values()
    backend = ingress["spec"]["rule"][0]["http"]["path"][0]["backend"]["service"]
    assert backend["name"] == "test-dbt-eventsource-svc"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account_id": "acct-1"}, "account_id"),
        ({"account_id": 43786}, "account_id"),
        ({"job_ids": "302418"}, "job_ids"),
        ({"job_ids": []}, "job_ids"),
        ({"job_ids": [302418]}, "job_ids"),
        ({"environment_ids": ["prod"]}, "environment_ids"),
        ({"statuses": ("success",)}, "statuses"),
        ({"statuses": "Success"}, "statuses"),
        ({"register_webhook": True}, "register_webhook"),
        ({"register_webhook": "yes", "ingress": INGRESS}, "register_webhook"),
        ({"register_webhook": True, "ingress": INGRESS, "signing_secret": "s"}, "signing_secret"),
        ({"signing_secret": ""}, "signing_secret"),
        ({"verify_signature": True}, "verify_signature"),
        ({"verifier_image": "python"}, "verifier_image"),
        ({"verifier_image": "python:latest"}, "verifier_image"),
        ({"max_payload_size": 0}, "max_payload_size"),
        ({"rate_limit": 5}, "rate_limit"),
        (
            {"register_webhook": True, "ingress": WebhookIngress(host="h.example.com", tls=False)},
            "register_webhook",
        ),
        ({"path_bytes": 8}, "path_bytes"),
        ({"event": "dbt job"}, "event"),
        ({"port": 70000}, "WebhookEvent.port"),
        ({"ingress": "hooks.example.com"}, "ingress"),
    ],
)
def test_bad_props_fail_before_anything_is_created(overrides: dict[str, Any], field: str) -> None:
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "errors")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    with pytest.raises(BlueprintError) as info:
        DbtCloudToMetaflow(stack, "dbt", metaflow=metaflow, **_props(**overrides))
    assert info.value.field == field
    assert stack.node.try_find_child("dbt") is None
