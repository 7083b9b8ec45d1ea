"""GcsToMetaflow: notification wiring, GCS service-agent grant, replay filters, errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.blueprints.gcs import GcsToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.replay.testing import assert_no_trigger, replay_events
from metaflow_blueprints.runtime import App, TerraformStack, provider_module
from tests.helpers import REPO, manifests, resources, synth

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events" / "gcp"


def _event(name: str, **attributes: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    message["attributes"].update(attributes)
    return message


def _props(**overrides: Any) -> dict[str, Any]:
    return {
        "bucket_name": "acme-raw-landing",
        "event": "gcs.object.finalized",
        "project": "acme-data",
        **overrides,
    }


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    def build(stack: Any) -> None:
        provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        GcsToMetaflow(
            stack, "uploads", metaflow=metaflow, **_props(prefix="uploads/", suffix=".parquet")
        )
        GcsToMetaflow(
            stack,
            "changes",
            metaflow=metaflow,
            **_props(
                event="gcs.object.changed",
                event_types=["OBJECT_FINALIZE", "OBJECT_DELETE"],
                bucket_project="landing-proj",
                custom_attributes={"team": "ml"},
                payload={"md5": "body.md5Hash"},
            ),
        )

    return synth(build)


def _one(terraform: dict[str, Any], type_: str, **match: Any) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, r)
        for k, r in resources(terraform, type_).items()
        if all(r.get(f) == v for f, v in match.items())
    ]
    return found


def test_notification_waits_for_the_gcs_service_agent_grant(terraform: dict[str, Any]) -> None:
    topic_key, _ = _one(terraform, "google_pubsub_topic", name="test-uploads")
    grant_key, grant = _one(
        terraform,
        "google_pubsub_topic_iam_member",
        topic=f"${{google_pubsub_topic.{topic_key}.name}}",
    )
    agents = terraform["data"]["google_storage_project_service_account"]
    (agent_key,) = [k for k, v in agents.items() if v == {"project": "acme-data"}]
    assert grant == {
        "project": "acme-data",
        "topic": f"${{google_pubsub_topic.{topic_key}.name}}",
        "role": "roles/pubsub.publisher",
        "member": f"${{data.google_storage_project_service_account.{agent_key}.member}}",
    }
    _, notification = _one(
        terraform, "google_storage_notification", topic=f"${{google_pubsub_topic.{topic_key}.id}}"
    )
    assert notification == {
        "bucket": "acme-raw-landing",
        "topic": f"${{google_pubsub_topic.{topic_key}.id}}",
        "payload_format": "JSON_API_V1",
        "event_types": ["OBJECT_FINALIZE"],
        "object_name_prefix": "uploads/",
        "custom_attributes": {"metaflow-event": "gcs.object.finalized"},
        "depends_on": [f"google_pubsub_topic_iam_member.{grant_key}"],
    }


def test_second_blueprint_options(terraform: dict[str, Any]) -> None:
    topic_key, _ = _one(terraform, "google_pubsub_topic", name="test-changes")
    _, notification = _one(
        terraform, "google_storage_notification", topic=f"${{google_pubsub_topic.{topic_key}.id}}"
    )
    assert notification["event_types"] == ["OBJECT_FINALIZE", "OBJECT_DELETE"]
    assert "object_name_prefix" not in notification
    assert notification["custom_attributes"] == {"team": "ml"}
    agents = terraform["data"]["google_storage_project_service_account"]
    assert {"project": "landing-proj"} in agents.values()


def test_subscription_and_event_source(terraform: dict[str, Any], strict_validator: Any) -> None:
    _, sub = _one(terraform, "google_pubsub_subscription", name="mfb-test-uploads")
    assert sub["expiration_policy"] == {"ttl": ""}
    assert sub["dead_letter_policy"]["max_delivery_attempts"] == 5
    sources = {m["metadata"]["name"]: m for m in manifests(terraform, "EventSource")}
    assert sources["test-uploads"]["spec"]["pubSub"] == {
        "gcs-object-finalized": {
            "subscriptionID": "mfb-test-uploads",
            "projectID": "acme-data",
            "jsonBody": True,
            "topic": "",  # no omitempty in Go: written as "" anyway
            "topicProjectID": "",
        }
    }
    for manifest in manifests(terraform):
        assert strict_validator.errors(manifest) == []


def test_new_object_posts_the_exact_metaflow_event(terraform: dict[str, Any]) -> None:
    (event,) = replay_events(
        terraform,
        _event("gcs-object-finalize"),
        source="test-uploads/gcs-object-finalized",
        now=NOW,
    )
    assert event == {
        "name": "gcs.object.finalized",
        "payload": {
            "name": "gcs.object.finalized",
            "id": "acme-raw-landing/uploads/2025-01-15/orders batch 1.parquet#1736936430123456",
            "timestamp": 1736936430,
            "utc_date": "20250115",
            "bucket": "acme-raw-landing",
            "object_name": "uploads/2025-01-15/orders batch 1.parquet",
            "generation": "1736936430123456",
            "size": 482133,
            "content_type": "application/vnd.apache.parquet",
            "event_type": "OBJECT_FINALIZE",
            "event_time": "2025-01-15T10:20:30.123456Z",
        },
    }


@pytest.mark.parametrize(
    "message",
    ["gcs-object-delete", "gcs-outside-prefix", "gcs-outside-suffix"],
)
def test_objects_that_must_not_start_a_flow(terraform: dict[str, Any], message: str) -> None:
    assert_no_trigger(
        terraform, _event(message), source="test-uploads/gcs-object-finalized", now=NOW
    )


def test_sensor_filters_are_anchored(terraform: dict[str, Any]) -> None:
    source = "test-uploads/gcs-object-finalized"
    for attributes in (
        {"objectId": "archive/uploads/a.parquet"},  # prefix not at the start
        {"objectId": "uploads/a.parquet.tmp"},  # suffix not at the end
        {"objectId": "uploads/aXparquet"},  # '.' is literal
        {"bucketId": "other-bucket"},  # another bucket on a shared topic
        {"eventType": "OBJECT_FINALIZE_EXTRA"},
    ):
        assert_no_trigger(terraform, _event("gcs-object-finalize", **attributes), source=source)


def test_delete_fires_when_asked_for(terraform: dict[str, Any]) -> None:
    source = "test-changes/gcs-object-changed"
    (event,) = replay_events(terraform, _event("gcs-object-delete"), source=source, now=NOW)
    payload = event["payload"]
    assert payload["event_type"] == "OBJECT_DELETE"
    assert payload["timestamp"] == 1737014400  # eventTime 2025-01-16T08:00:00Z
    assert payload["md5"] == "XrY7u+Ae7tCTyyK7j1rNww=="
    assert_no_trigger(
        terraform,
        _event("gcs-object-finalize", eventType="OBJECT_METADATA_UPDATE"),
        source=source,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bucket_name": "gs://acme-raw-landing"}, "bucket_name"),
        ({"event_types": ["OBJECT_CREATE"]}, "event_types"),
        ({"event_types": "OBJECT_FINALIZE"}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"suffix": ""}, "suffix"),
        ({"payload": {"size": "body.size"}}, "payload"),
        ({"payload": {"md5": "md5Hash"}}, "payload['md5']"),
        ({"custom_attributes": {"goog-x": "1"}}, "custom_attributes"),
        ({"bucket_project": "Landing"}, "bucket_project"),
        ({"project": "acme"}, "project"),
        ({"ack_deadline_seconds": 601}, "ack_deadline_seconds"),
        ({"event": "gcs object"}, "event"),
    ],
)
def test_bad_input_is_refused_before_anything_is_created(
    overrides: dict[str, Any], field: str
) -> None:
    stack = TerraformStack(App(), "s")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    with pytest.raises(BlueprintError) as error:
        GcsToMetaflow(stack, "uploads", metaflow=metaflow, **_props(**overrides))
    assert error.value.field == field
    # No construct at all (refused by its type hints), or one without children.
    found = [c for c in stack.node.children if c.node.id == "uploads"]
    assert all(b.node.children == [] for b in found), "resources created before the refusal"
