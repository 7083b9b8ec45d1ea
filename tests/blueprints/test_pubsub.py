"""PubSubToMetaflow: topic variants, EventSource, IAM, replay of Pub/Sub messages, errors."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.replay.testing import assert_no_trigger, replay_events
from metaflow_blueprints.runtime import App, TerraformStack, provider_module
from tests.helpers import REPO, manifests, resources, synth

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ORDER = json.loads((REPO / "examples" / "events" / "gcp" / "pubsub-order.json").read_text())
PAYLOAD = {
    "order_id": "body.order_id",
    "customer_id": "body.customer.id",
    "region": "attributes.region",
}
SOURCE = "test-orders/orders-created"


def _props(**overrides: Any) -> dict[str, Any]:
    return {
        "event": "orders.created",
        "project": "acme-data",
        "payload": PAYLOAD,
        "attributes_filter": {"kind": "order"},
        **overrides,
    }


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    def build(stack: Any) -> None:
        provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        PubSubToMetaflow(stack, "orders", metaflow=metaflow, **_props())
        PubSubToMetaflow(
            stack,
            "named",
            metaflow=metaflow,
            **_props(topic_name="projects/shared-ps/topics/orders"),
        )
        own = provider_module("google", "pubsub_topic").PubsubTopic(
            stack, "own", name="own-topic", project="acme-data"
        )
        PubSubToMetaflow(stack, "object", metaflow=metaflow, **_props(topic=own))
        PubSubToMetaflow(
            stack,
            "raw",
            metaflow=metaflow,
            **_props(event="raw.arrived", payload={"region": "attributes.region"}, json_body=False),
        )

    return synth(build)


def _subscription(terraform: dict[str, Any], name: str) -> dict[str, Any]:
    (sub,) = [
        s for s in resources(terraform, "google_pubsub_subscription").values() if s["name"] == name
    ]
    return dict(sub)


def test_topic_variants(terraform: dict[str, Any]) -> None:
    topics = {t["name"]: t for t in resources(terraform, "google_pubsub_topic").values()}
    # Created only when neither topic nor topic_name is given (plus the DLQ topics).
    assert set(topics) == {
        "test-orders",
        "own-topic",
        "test-raw",
        "mfb-test-orders-dlq",
        "mfb-test-named-dlq",
        "mfb-test-object-dlq",
        "mfb-test-raw-dlq",
    }
    assert topics["test-orders"]["labels"] == {"managed-by": "metaflow-blueprints"}
    topic_ids = {
        k: f"${{google_pubsub_topic.{k}.id}}" for k in resources(terraform, "google_pubsub_topic")
    }
    by_name = {
        t["name"]: topic_ids[k] for k, t in resources(terraform, "google_pubsub_topic").items()
    }
    assert _subscription(terraform, "mfb-test-orders")["topic"] == by_name["test-orders"]
    assert _subscription(terraform, "mfb-test-named")["topic"] == "projects/shared-ps/topics/orders"
    assert _subscription(terraform, "mfb-test-object")["topic"] == by_name["own-topic"]


def test_event_source_pulls_its_own_subscription_with_workload_identity(
    terraform: dict[str, Any],
) -> None:
    sources = {m["metadata"]["name"]: m for m in manifests(terraform, "EventSource")}
    spec = sources["test-orders"]["spec"]
    # Empty 'topic': with one, Argo needs subscriptions.get, which the subscriber role lacks
    # ("" rather than absent: the Go field has no omitempty, the controller writes "").
    assert spec["pubSub"] == {
        "orders-created": {
            "subscriptionID": "mfb-test-orders",
            "projectID": "acme-data",
            "jsonBody": True,
            "topic": "",
            "topicProjectID": "",
        }
    }
    assert spec["template"] == {"serviceAccountName": "test-orders-pubsub"}
    assert set(spec) == {"eventBusName", "pubSub", "template"}
    assert sources["test-raw"]["spec"]["pubSub"]["raw-arrived"]["jsonBody"] is False
    (entry,) = [
        r
        for r in resources(terraform, "kubernetes_manifest").values()
        if r["manifest"]["metadata"]["name"] == "test-orders"
        and r["manifest"]["kind"] == "EventSource"
    ]
    kinds = sorted(d.split(".")[0] for d in entry["depends_on"])
    assert kinds == [
        "google_pubsub_subscription",
        "google_pubsub_subscription_iam_member",
        "google_service_account_iam_member",
        "kubernetes_manifest",  # the bridge Sensor: it subscribes first
        "kubernetes_service_account_v1",
    ]
    accounts = {a["account_id"] for a in resources(terraform, "google_service_account").values()}
    assert accounts == {"mfb-test-orders", "mfb-test-named", "mfb-test-object", "mfb-test-raw"}
    members = {
        m["member"] for m in resources(terraform, "google_service_account_iam_member").values()
    }
    assert "serviceAccount:acme-data.svc.id.goog[metaflow/test-orders-pubsub]" in members


def test_manifests_pass_the_strict_schema(terraform: dict[str, Any], strict_validator: Any) -> None:
    found = manifests(terraform)
    assert len(found) == 8
    for manifest in found:
        assert strict_validator.errors(manifest) == []


def test_json_message_with_attributes_posts_mapped_keys(terraform: dict[str, Any]) -> None:
    (event,) = replay_events(terraform, ORDER, source=SOURCE, now=NOW)
    assert event == {
        "name": "orders.created",
        "payload": {
            "name": "orders.created",
            "id": "9876543210123",
            "timestamp": 1740924309,  # publishTime 2025-03-02T14:05:09Z
            "utc_date": "20250302",
            "order_id": "A-100234",
            "customer_id": 4711,
            "region": "eu-west",
        },
    }


def test_base64_data_is_the_same_message(terraform: dict[str, Any]) -> None:
    encoded = {**ORDER, "data": base64.b64encode(json.dumps(ORDER["data"]).encode()).decode()}
    assert replay_events(terraform, encoded, source=SOURCE, now=NOW) == replay_events(
        terraform, ORDER, source=SOURCE, now=NOW
    )


def test_messages_that_must_not_start_a_flow(terraform: dict[str, Any]) -> None:
    refund = {**ORDER, "attributes": {**ORDER["attributes"], "kind": "refund"}}
    assert_no_trigger(terraform, refund, source=SOURCE, now=NOW)
    # The attribute filter is anchored: 'orders' is not 'order'.
    plural = {**ORDER, "attributes": {**ORDER["attributes"], "kind": "orders"}}
    assert_no_trigger(terraform, plural, source=SOURCE, now=NOW)
    no_customer = {**ORDER, "data": {"order_id": "A-1"}}
    assert_no_trigger(terraform, no_customer, source=SOURCE, now=NOW)
    not_json = {**ORDER, "data": base64.b64encode(b"order A-1 created").decode()}
    result = assert_no_trigger(terraform, not_json, source=SOURCE, now=NOW)
    assert result.dropped is not None and "Nack" in result.dropped


def test_non_json_messages_with_json_body_false(terraform: dict[str, Any]) -> None:
    message = {**ORDER, "data": base64.b64encode(b"\x00binary").decode()}
    (event,) = replay_events(terraform, message, source="test-raw/raw-arrived", now=NOW)
    assert event["payload"] == {
        "name": "raw.arrived",
        "id": "9876543210123",
        "timestamp": 1740924309,
        "utc_date": "20250302",
        "region": "eu-west",
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event": "orders created"}, "event"),
        ({"project": "Acme"}, "project"),
        ({"topic_name": "orders", "topic": "orders"}, "topic/topic_name"),
        ({"topic": "orders"}, "topic"),
        ({"topic_name": "projects/p/subscriptions/s"}, "topic_name"),
        ({"payload": {"order_id": "order_id"}}, "payload['order_id']"),
        ({"payload": {"order_id": "body.order_id"}, "json_body": False}, "payload['order_id']"),
        ({"payload": {"id": "body.order_id"}}, "payload"),
        ({"payload": {"a": "body.items.#"}}, "payload['a']"),
        ({"attributes_filter": {"kind": ""}}, "attributes_filter['kind']"),
        ({"attributes_filter": {"goog-x": "y"}}, "attributes_filter"),
        ({"subscription_id": "goog-sub"}, "subscription_id"),
        ({"service_account_id": "Orders"}, "service_account_id"),
        ({"kms_key_name": "my-key"}, "kms_key_name"),
        ({"max_delivery_attempts": 200}, "max_delivery_attempts"),
        ({"name": "Orders"}, "name"),
    ],
)
def test_bad_input_is_refused_before_anything_is_created(
    overrides: dict[str, Any], field: str
) -> None:
    stack = TerraformStack(App(), "s")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    with pytest.raises(BlueprintError) as error:
        PubSubToMetaflow(stack, "orders", metaflow=metaflow, **_props(**overrides))
    assert error.value.field == field
    # A bad event or metaflow is refused before the blueprint's own node exists.
    blueprints = [c for c in stack.node.children if c.node.id == "orders"]
    assert all(b.node.children == [] for b in blueprints), (
        "resources were created before the input was refused"
    )


def test_created_topic_is_encrypted_after_the_key_grant() -> None:
    key = "projects/sec/locations/europe-west1/keyRings/ps/cryptoKeys/ps"

    def build(stack: Any) -> None:
        provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        PubSubToMetaflow(
            stack, "orders", metaflow=metaflow, **_props(kms_key_name=key, project_number="42")
        )

    terraform = synth(build)
    (grant_key,) = resources(terraform, "google_kms_crypto_key_iam_member")
    topics = {t["name"]: t for t in resources(terraform, "google_pubsub_topic").values()}
    for name in ("test-orders", "mfb-test-orders-dlq"):
        assert topics[name]["kms_key_name"] == key
        assert topics[name]["depends_on"] == [f"google_kms_crypto_key_iam_member.{grant_key}"]


def test_two_blueprints_on_one_key_share_one_grant() -> None:
    key = "projects/sec/locations/europe-west1/keyRings/ps/cryptoKeys/ps"

    def build(stack: Any, second: bool) -> None:
        provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        PubSubToMetaflow(stack, "orders", metaflow=metaflow, **_props(kms_key_name=key))
        if second:
            PubSubToMetaflow(stack, "refunds", metaflow=metaflow,
                             **_props(kms_key_name=key, event="refunds.created"))

    both = synth(lambda stack: build(stack, True))
    (grant,) = resources(both, "google_kms_crypto_key_iam_member")
    topics = resources(both, "google_pubsub_topic").values()
    depending = [t for t in topics if t.get("kms_key_name")]
    assert len(depending) == 4  # two topics and two dead-letter topics
    assert all(t["depends_on"] == [f"google_kms_crypto_key_iam_member.{grant}"] for t in depending)
    # Removing the second blueprint keeps the same grant (same address): nothing is revoked.
    alone = synth(lambda stack: build(stack, False))
    assert list(resources(alone, "google_kms_crypto_key_iam_member")) == [grant]
