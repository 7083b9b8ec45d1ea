"""EventSource objects (webhook, sqs, pubSub, sns), rendered as a Kubernetes manifest dict.

Controller rules enforced here (argo-events.md §8): event names are unique across all
source types of one EventSource, and "recreate" types (pubSub) cannot share an
EventSource with "rolling" types (webhook, sqs, sns).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from metaflow_blueprints import rules
from metaflow_blueprints.argo.common import SecretKeyRef
from metaflow_blueprints.argo.names import check_event_name, check_object_name
from metaflow_blueprints.argo.sensor import API_VERSION
from metaflow_blueprints.errors import BlueprintError


def _check_port(field_name: str, port: int) -> None:
    rules.PORT.check(field_name, port)


@dataclass(frozen=True)
class WebhookEvent:
    """An HTTP endpoint; ``auth_secret`` makes it demand ``Authorization: Bearer <secret>``."""

    endpoint: str
    port: int = 12000
    method: Literal["POST", "GET"] = "POST"
    auth_secret: SecretKeyRef | None = None
    max_payload_size: int | None = None

    kind = "webhook"
    rolling = True

    def __post_init__(self) -> None:
        rules.WEBHOOK_ENDPOINT.check("WebhookEvent.endpoint", self.endpoint)
        _check_port("WebhookEvent.port", self.port)
        if self.method not in ("POST", "GET"):
            raise BlueprintError("WebhookEvent.method", self.method, "must be POST or GET.")

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "endpoint": self.endpoint,
            "port": str(self.port),
            "method": self.method,
            # No omitempty on WebhookContext.url: the controller writes "" back.
            "url": "",
        }
        if self.auth_secret is not None:
            out["authSecret"] = self.auth_secret.render()
        if self.max_payload_size is not None:
            out["maxPayloadSize"] = self.max_payload_size
        return out


@dataclass(frozen=True)
class SqsEvent:
    """Long-poll an SQS queue; ``json_body`` embeds JSON message bodies (default on)."""

    queue: str
    region: str
    wait_time_seconds: int = 20
    json_body: bool = True
    dlq: bool = True
    endpoint: str | None = None
    queue_account_id: str | None = None
    role_arn: str | None = None
    access_key: SecretKeyRef | None = None
    secret_key: SecretKeyRef | None = None

    kind = "sqs"
    rolling = True

    def __post_init__(self) -> None:
        if not self.queue:
            raise BlueprintError("SqsEvent.queue", self.queue, "is required (the queue name).")
        if not self.region:
            raise BlueprintError("SqsEvent.region", self.region, "is required.")
        if not 0 <= self.wait_time_seconds <= 20:
            raise BlueprintError(
                "SqsEvent.wait_time_seconds", self.wait_time_seconds, "must be 0-20."
            )
        if (self.access_key is None) != (self.secret_key is None):
            raise BlueprintError(
                "SqsEvent.access_key/secret_key",
                (self.access_key, self.secret_key),
                "give both static keys or neither.",
            )

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "queue": self.queue,
            "region": self.region,
            "waitTimeSeconds": self.wait_time_seconds,
            "jsonBody": self.json_body,
            # No omitempty on SQSEventSource.endpoint: the controller writes "" back.
            "endpoint": self.endpoint or "",
        }
        if self.dlq:
            out["dlq"] = True
        optional = {
            "queueAccountId": self.queue_account_id,
            "roleARN": self.role_arn,
        }
        out.update({k: v for k, v in optional.items() if v})
        if self.access_key is not None and self.secret_key is not None:
            out["accessKey"] = self.access_key.render()
            out["secretKey"] = self.secret_key.render()
        return out


@dataclass(frozen=True)
class PubSubEvent:
    """Pull from a Pub/Sub subscription; set ``subscription_id`` explicitly (see docs)."""

    subscription_id: str
    project_id: str | None = None
    topic: str | None = None
    topic_project_id: str | None = None
    json_body: bool = True
    credential_secret: SecretKeyRef | None = None
    delete_subscription_on_finish: bool = False

    kind = "pubSub"
    rolling = False

    def __post_init__(self) -> None:
        if not self.subscription_id:
            raise BlueprintError(
                "PubSubEvent.subscription_id", self.subscription_id, "is required."
            )
        if self.topic_project_id and not self.topic:
            raise BlueprintError(
                "PubSubEvent.topic_project_id", self.topic_project_id, "is invalid without topic."
            )

    def render(self) -> dict[str, Any]:
        # projectID, topic and topicProjectID have no omitempty: the controller writes "".
        out: dict[str, Any] = {
            "subscriptionID": self.subscription_id,
            "jsonBody": self.json_body,
            "projectID": self.project_id or "",
            "topic": self.topic or "",
            "topicProjectID": self.topic_project_id or "",
        }
        if self.credential_secret is not None:
            out["credentialSecret"] = self.credential_secret.render()
        if self.delete_subscription_on_finish:
            out["deleteSubscriptionOnFinish"] = True
        return out


@dataclass(frozen=True)
class SnsEvent:
    """An HTTP endpoint SNS pushes to; ``validate_signature`` checks AWS's signature."""

    topic_arn: str
    region: str
    webhook: WebhookEvent
    validate_signature: bool = True

    kind = "sns"
    rolling = True

    def __post_init__(self) -> None:
        if not self.topic_arn or not self.region:
            raise BlueprintError(
                "SnsEvent", (self.topic_arn, self.region), "needs topic_arn and region."
            )

    def render(self) -> dict[str, Any]:
        return {
            "topicArn": self.topic_arn,
            "region": self.region,
            "webhook": self.webhook.render(),
            "validateSignature": self.validate_signature,
        }


SourceEvent = WebhookEvent | SqsEvent | PubSubEvent | SnsEvent


@dataclass(frozen=True)
class EventSource:
    """An Argo Events EventSource holding one or more named events."""

    name: str
    namespace: str
    events: Mapping[str, SourceEvent]
    event_bus_name: str = "default"
    service_account_name: str | None = None
    service_ports: tuple[int, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    replicas: int = 1

    def __post_init__(self) -> None:
        check_object_name("EventSource.name", self.name)
        if not self.events:
            raise BlueprintError("EventSource.events", {}, "needs at least one event.")
        for event_name in self.events:
            check_event_name("EventSource.events", event_name)
        kinds = {e.rolling for e in self.events.values()}
        if len(kinds) > 1:
            raise BlueprintError(
                "EventSource.events",
                sorted(f"{n}:{e.kind}" for n, e in self.events.items()),
                "mixes Pub/Sub with webhook/SQS/SNS events; the Argo controller rejects that.",
                "Put Pub/Sub events in their own EventSource.",
            )
        for port in self.service_ports:
            _check_port("EventSource.service_ports", port)

    def render(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        spec: dict[str, Any] = {"eventBusName": self.event_bus_name}
        if self.replicas != 1:
            spec["replicas"] = self.replicas
        if self.service_account_name:
            spec["template"] = {"serviceAccountName": self.service_account_name}
        if self.service_ports:
            spec["service"] = {
                "ports": _service_ports(self.service_ports)
            }
        for event_name, event in self.events.items():
            spec.setdefault(event.kind, {})[event_name] = event.render()
        return {
            "apiVersion": API_VERSION,
            "kind": "EventSource",
            "metadata": metadata,
            "spec": spec,
        }


def _service_ports(ports: tuple[int, ...]) -> list[dict[str, Any]]:
    """Service ports; with several, each is named (Kubernetes rejects unnamed multi-port
    Services: "must be specified when more than one port")."""
    unique = sorted(set(ports))
    if len(unique) == 1:
        return [{"port": unique[0], "targetPort": unique[0]}]
    return [{"name": f"port-{p}", "port": p, "targetPort": p} for p in unique]
