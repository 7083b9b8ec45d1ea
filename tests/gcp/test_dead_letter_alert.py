"""Dead letters surface: a Cloud Monitoring alert policy on every dead-letter subscription."""

from __future__ import annotations

import re
from typing import Any

import pytest

from metaflow_blueprints.blueprints.gcs import GcsToMetaflow
from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import provider_module
from tests.helpers import resources, synth

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
