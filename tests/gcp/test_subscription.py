"""PubSubSubscription and PubSubSubscriberIdentity: synthesized settings, IAM, errors,
and the alert policy on every dead-letter subscription."""

from __future__ import annotations

import re
from typing import Any

import pytest

from metaflow_blueprints.blueprints.gcs import GcsToMetaflow
from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.identity import PubSubSubscriberIdentity
from metaflow_blueprints.gcp.subscription import PubSubSubscription
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import App, TerraformStack, provider_module
from tests.helpers import resources, synth

KEY = "projects/sec/locations/europe-west1/keyRings/ps/cryptoKeys/ps"


def _google(stack: Any) -> None:
    provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    def build(stack: Any) -> None:
        _google(stack)
        PubSubSubscription(
            stack, "plain", topic="orders", project="acme-data", subscription_id="sub-1"
        )
        PubSubSubscription(
            stack,
            "numbered",
            topic="projects/other-proj/topics/events",
            project="acme-data",
            subscription_id="sub-2",
            project_number="123456789012",
            kms_key_name=KEY,
            ack_deadline_seconds=120,
            max_delivery_attempts=10,
        )
        PubSubSubscription(
            stack,
            "nodlq",
            topic="orders",
            project="acme-data",
            subscription_id="sub-3",
            dead_letter=False,
        )
        PubSubSubscriberIdentity(
            stack,
            "identity",
            project="acme-data",
            account_id="mfb-orders",
            subscription="sub-1",
            namespace="metaflow",
            kubernetes_service_account="orders-pubsub",
            workload_identity_pool="gke-proj.svc.id.goog",
        )

    return synth(build)


def _by_name(terraform: dict[str, Any], type_: str) -> dict[str, Any]:
    return {r["name"]: r for r in resources(terraform, type_).values()}


def _address(terraform: dict[str, Any], type_: str, name: str) -> str:
    (key,) = [k for k, r in resources(terraform, type_).items() if r.get("name") == name]
    return f"{type_}.{key}"


def test_subscription_settings(terraform: dict[str, Any]) -> None:
    subs = _by_name(terraform, "google_pubsub_subscription")
    s1 = subs["sub-1"]
    assert s1["topic"] == "projects/acme-data/topics/orders"
    assert s1["project"] == "acme-data"
    assert s1["ack_deadline_seconds"] == 60
    assert s1["message_retention_duration"] == "604800s"
    assert s1["retry_policy"] == {"minimum_backoff": "10s", "maximum_backoff": "600s"}
    assert s1["expiration_policy"] == {"ttl": ""}
    assert s1["dead_letter_policy"] == {
        "dead_letter_topic": "${"
        + _address(terraform, "google_pubsub_topic", "sub-1-dlq")
        + ".id}",
        "max_delivery_attempts": 5,
    }
    assert s1["labels"] == {"managed-by": "metaflow-blueprints"}
    assert subs["sub-2"]["topic"] == "projects/other-proj/topics/events"
    assert subs["sub-2"]["ack_deadline_seconds"] == 120
    assert subs["sub-2"]["dead_letter_policy"]["max_delivery_attempts"] == 10
    # Dead-lettered messages are kept: the DLQ topic has its own never-expiring subscription.
    dlq = subs["sub-1-dlq"]
    assert dlq["topic"] == "${" + _address(terraform, "google_pubsub_topic", "sub-1-dlq") + ".id}"
    assert dlq["expiration_policy"] == {"ttl": ""}
    assert "dead_letter_policy" not in subs["sub-3"] and "sub-3-dlq" not in subs


def test_service_agent_grants_are_exact(terraform: dict[str, Any]) -> None:
    (project_key,) = terraform["data"]["google_project"]
    assert terraform["data"]["google_project"][project_key] == {"project_id": "acme-data"}
    agent = (
        "serviceAccount:service-${data.google_project." + project_key + ".number}"
        "@gcp-sa-pubsub.iam.gserviceaccount.com"
    )
    numbered = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    topic_grants = {
        (g["topic"], g["role"], g["member"])
        for g in resources(terraform, "google_pubsub_topic_iam_member").values()
    }
    assert topic_grants == {
        (
            "${" + _address(terraform, "google_pubsub_topic", "sub-1-dlq") + ".name}",
            "roles/pubsub.publisher",
            agent,
        ),
        (
            "${" + _address(terraform, "google_pubsub_topic", "sub-2-dlq") + ".name}",
            "roles/pubsub.publisher",
            numbered,
        ),
    }
    sub_grants = {
        (g["subscription"], g["role"], g["member"])
        for g in resources(terraform, "google_pubsub_subscription_iam_member").values()
    }
    s1 = "${" + _address(terraform, "google_pubsub_subscription", "sub-1") + ".name}"
    s2 = "${" + _address(terraform, "google_pubsub_subscription", "sub-2") + ".name}"
    identity_sa = next(iter(resources(terraform, "google_service_account")))
    assert sub_grants == {
        (s1, "roles/pubsub.subscriber", agent),
        (s2, "roles/pubsub.subscriber", numbered),
        ("sub-1", "roles/pubsub.subscriber", f"${{google_service_account.{identity_sa}.member}}"),
    }


def test_kms_key_is_used_and_granted_to_the_service_agent(terraform: dict[str, Any]) -> None:
    (grant_key, grant) = next(
        iter(resources(terraform, "google_kms_crypto_key_iam_member").items())
    )
    assert grant == {
        "crypto_key_id": KEY,
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "member": "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com",
    }
    topics = _by_name(terraform, "google_pubsub_topic")
    assert topics["sub-2-dlq"]["kms_key_name"] == KEY
    assert topics["sub-2-dlq"]["depends_on"] == [f"google_kms_crypto_key_iam_member.{grant_key}"]
    assert "kms_key_name" not in topics["sub-1-dlq"]


def test_identity_is_least_privilege_workload_identity(terraform: dict[str, Any]) -> None:
    (sa_key, sa) = next(iter(resources(terraform, "google_service_account").items()))
    assert sa["account_id"] == "mfb-orders" and sa["project"] == "acme-data"
    (binding,) = resources(terraform, "google_service_account_iam_member").values()
    assert binding == {
        "service_account_id": f"${{google_service_account.{sa_key}.name}}",
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:gke-proj.svc.id.goog[metaflow/orders-pubsub]",
    }
    (ksa,) = resources(terraform, "kubernetes_service_account_v1").values()
    assert ksa["metadata"]["name"] == "orders-pubsub"
    assert ksa["metadata"]["namespace"] == "metaflow"
    assert ksa["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": f"${{google_service_account.{sa_key}.email}}"
    }
    # No project-wide grants and no keys, anywhere.
    types = set(terraform["resource"])
    assert not {t for t in types if t.startswith("google_project_iam")}
    assert "google_service_account_key" not in types


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"project": "Acme Data"}, "project"),
        ({"topic": "goog-orders"}, "topic"),
        ({"topic": "projects/p/subscriptions/x"}, "topic"),
        ({"subscription_id": "1sub"}, "subscription_id"),
        ({"ack_deadline_seconds": 5}, "ack_deadline_seconds"),
        ({"message_retention_seconds": 31 * 86400}, "message_retention_seconds"),
        ({"minimum_backoff_seconds": 700}, "minimum_backoff_seconds"),
        (
            {"minimum_backoff_seconds": 300, "maximum_backoff_seconds": 60},
            "minimum_backoff_seconds",
        ),
        ({"max_delivery_attempts": 3}, "max_delivery_attempts"),
        ({"kms_key_name": "alias/pubsub"}, "kms_key_name"),
        ({"project_number": "acme-data"}, "project_number"),
        ({"dead_letter": "yes"}, "dead_letter"),
    ],
)
def test_subscription_refuses_bad_input(overrides: dict[str, Any], field: str) -> None:
    stack = TerraformStack(App(), "s")
    props: dict[str, Any] = {"topic": "orders", "project": "acme-data", "subscription_id": "sub-1"}
    with pytest.raises(BlueprintError) as error:
        PubSubSubscription(stack, "sub", **{**props, **overrides})
    assert error.value.field == field
    assert f"{field}={overrides[field]!r}" in str(error.value)
    # Nothing is created (a type error is refused before the construct itself exists).
    assert all(child.node.children == [] for child in stack.node.children)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account_id": "mfb"}, "account_id"),
        ({"account_id": "Mfb-Orders"}, "account_id"),
        ({"kubernetes_service_account": "Orders_SA"}, "kubernetes_service_account"),
        ({"subscription_project": "X"}, "subscription_project"),
    ],
)
def test_identity_refuses_bad_input(overrides: dict[str, Any], field: str) -> None:
    stack = TerraformStack(App(), "s")
    props: dict[str, Any] = {
        "project": "acme-data",
        "account_id": "mfb-orders",
        "subscription": "sub-1",
        "namespace": "metaflow",
        "kubernetes_service_account": "orders-pubsub",
    }
    with pytest.raises(BlueprintError) as error:
        PubSubSubscriberIdentity(stack, "identity", **{**props, **overrides})
    assert error.value.field == field
    assert f"{field}={overrides[field]!r}" in str(error.value)
    (identity,) = stack.node.children
    assert identity.node.children == []


# --- dead letters ----------------------------------------------------------------------

CHANNEL = "projects/acme-data/notificationChannels/1234567890"
METRIC = "pubsub.googleapis.com/subscription/num_undelivered_messages"
#: ``field = "value"`` clauses joined by AND: the whole filter must be made of them.
_CLAUSE = re.compile(r'([a-z_.]+) = "([^"]*)"')


def _filter_clauses(text: str) -> dict[str, str]:
    clauses = text.split(" AND ")
    parsed = [_CLAUSE.fullmatch(clause) for clause in clauses]
    assert all(parsed), text
    return {m.group(1): m.group(2) for m in parsed if m}


def _build(**kwargs: Any) -> dict[str, Any]:
    def build(stack: Any) -> None:
        provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        PubSubToMetaflow(
            stack, "orders", metaflow=metaflow, event="orders.created", project="acme-data",
            topic_name="orders", **kwargs,
        )

    return synth(build)


def _dead_letter_subscription(tf: dict[str, Any]) -> str:
    """Logical id of the subscription of the dead-letter topic."""
    topics = {
        logical for logical, topic in resources(tf, "google_pubsub_topic").items()
        if topic["name"].endswith("-dlq")
    }
    (logical,) = [
        logical for logical, sub in resources(tf, "google_pubsub_subscription").items()
        if any(sub["topic"] == f"${{google_pubsub_topic.{t}.id}}" for t in topics)
    ]
    return logical


def test_the_alert_policy_watches_the_dead_letter_subscription() -> None:
    tf = _build()
    ((_, policy),) = resources(tf, "google_monitoring_alert_policy").items()
    dead_letters = _dead_letter_subscription(tf)
    (condition,) = policy["conditions"]
    threshold = condition["condition_threshold"]
    assert _filter_clauses(threshold["filter"]) == {
        "metric.type": METRIC,
        "resource.type": "pubsub_subscription",
        "resource.labels.project_id": "acme-data",
        "resource.labels.subscription_id": (
            f"${{google_pubsub_subscription.{dead_letters}.name}}"
        ),
    }
    assert (threshold["comparison"], threshold["threshold_value"]) == ("COMPARISON_GT", 0)
    assert threshold["aggregations"] == [
        {"alignment_period": "300s", "per_series_aligner": "ALIGN_MAX"}
    ]
    assert policy["project"] == "acme-data"
    assert policy["display_name"] == "Pub/Sub dead letters in mfb-test-orders-dlq"
    assert "notification_channels" not in policy


def test_gcs_subscriptions_are_alerted_with_the_given_channels() -> None:
    def build(stack: Any) -> None:
        provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-data")
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        GcsToMetaflow(
            stack, "uploads", metaflow=metaflow, bucket_name="raw-data", event="gcs.new",
            project="acme-data", dead_letter_notification_channels=[CHANNEL],
        )

    tf = synth(build)
    ((_, policy),) = resources(tf, "google_monitoring_alert_policy").items()
    assert policy["notification_channels"] == [CHANNEL]
    clauses = _filter_clauses(policy["conditions"][0]["condition_threshold"]["filter"])
    assert clauses["resource.labels.subscription_id"] == (
        f"${{google_pubsub_subscription.{_dead_letter_subscription(tf)}.name}}"
    )


@pytest.mark.parametrize("kwargs", [{"dead_letter_alert": False}, {"dead_letter": False}])
def test_no_alert_when_opted_out_or_without_dead_lettering(kwargs: dict[str, Any]) -> None:
    tf = _build(**kwargs)
    assert "google_monitoring_alert_policy" not in tf["resource"]


@pytest.mark.parametrize(
    ("kwargs", "value"),
    [
        ({"dead_letter_notification_channels": ["oncall@example.com"]}, "oncall@example.com"),
        ({"dead_letter_notification_channels": [CHANNEL + "/x"]}, CHANNEL + "/x"),
        ({"dead_letter_notification_channels": CHANNEL}, CHANNEL),
        ({"dead_letter_alert": False, "dead_letter_notification_channels": [CHANNEL]},
         [CHANNEL]),
        ({"dead_letter": False, "dead_letter_notification_channels": [CHANNEL]}, [CHANNEL]),
    ],
)
def test_bad_channels_are_refused_before_anything_is_created(
    kwargs: dict[str, Any], value: Any
) -> None:
    def build(stack: Any) -> None:
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        with pytest.raises(BlueprintError) as caught:
            PubSubToMetaflow(
                stack, "bad", metaflow=metaflow, event="orders.created", project="acme-data",
                topic_name="orders", **kwargs,
            )
        assert (caught.value.field, caught.value.value) == (
            "dead_letter_notification_channels",
            value,
        )
        created = stack.node.try_find_child("bad")
        assert created is None or created.node.children == []

    synth(build)


def test_bad_alert_flag_is_refused() -> None:
    with pytest.raises(BlueprintError) as caught:
        _build(dead_letter_alert="yes")
    assert caught.value.field == "dead_letter_alert"
