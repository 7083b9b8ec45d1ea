"""argo.eventsource: EventSource rules and service ports (no cdktf)."""

from __future__ import annotations

import re

import pytest

from metaflow_blueprints.argo import (
    EventSource,
    PubSubEvent,
    SecretKeyRef,
    SqsEvent,
    WebhookEvent,
)
from metaflow_blueprints.errors import BlueprintError


def test_event_source_rules() -> None:
    webhook = WebhookEvent("/hook")
    pubsub = PubSubEvent("sub")
    with pytest.raises(BlueprintError, match="mixes Pub/Sub"):
        EventSource("es", "ns", {"a": webhook, "b": pubsub})
    with pytest.raises(BlueprintError) as error:
        EventSource("es", "ns", {"a.b": webhook})
    assert error.value.field == "EventSource.events"
    for bad in ("hook", "/health", "/a b"):
        with pytest.raises(BlueprintError):
            WebhookEvent(bad)
    with pytest.raises(BlueprintError):
        WebhookEvent("/x", port=70000)
    with pytest.raises(BlueprintError, match="both static keys or neither"):
        SqsEvent("q", "eu-west-1", access_key=SecretKeyRef("s", "k"))
    with pytest.raises(BlueprintError):
        SqsEvent("q", "eu-west-1", wait_time_seconds=21)
    with pytest.raises(BlueprintError, match="invalid without topic"):
        PubSubEvent("sub", topic_project_id="p")


def test_several_service_ports_are_named(strict_validator) -> None:  # type: ignore[no-untyped-def]
    """Kubernetes rejects a multi-port Service whose ports are not all named (unique
    DNS-1123 labels); one port may stay unnamed."""

    def ports(*numbers: int) -> list[dict[str, object]]:
        source = EventSource(
            "hooks", "ns", {"a": WebhookEvent("/a", port=numbers[0])}, service_ports=numbers
        ).render()
        assert strict_validator.errors(source) == []
        return source["spec"]["service"]["ports"]  # type: ignore[no-any-return]

    several = ports(12000, 12001)
    names = [p["name"] for p in several]
    assert len(set(names)) == 2
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", str(n)) and len(str(n)) <= 15
               for n in names)
    assert ports(12000) == [{"port": 12000, "targetPort": 12000}]
