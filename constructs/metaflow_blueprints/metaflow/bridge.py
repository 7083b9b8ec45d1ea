"""The bridge Sensor: a source event in, a Metaflow event POSTed to Metaflow's webhook out.

Shape of what it posts (metaflow-contract.md §3, §9)::

    {"name": E, "payload": {"name": E, "id": ..., "timestamp": <int>, "utc_date": "YYYYMMDD",
                            ...mapped keys}}

The dependency's jq transform computes the payload next to the original data (``.metaflow``);
sensor filters then decide; the http trigger copies the payload into the body. Delivery is
at least once: Argo retries the POST (``BRIDGE_RETRY``: at least an hour) until Metaflow's
webhook answers 200, then the ``dlqTrigger`` keeps the Metaflow event as a dead-letter
ConfigMap (``dead_letter_trigger``) for ``metaflow-blueprints repost``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from metaflow_blueprints.argo import (
    Dependency,
    EventFilters,
    ExprFilter,
    HttpTrigger,
    K8sTrigger,
    ParamSource,
    RateLimit,
    RetryStrategy,
    SecretKeyRef,
    Sensor,
    StatusPolicy,
    Transform,
    Trigger,
    TriggerParameter,
)
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow.contract import (
    DEFAULT_WEBHOOK_PORT,
    check_bridge_sensor_name,
    check_event,
    check_payload_key,
)
from metaflow_blueprints.metaflow.jq import NOW, envelope_program
from metaflow_blueprints.metaflow.payload import PayloadField

BRIDGE_TRIGGER = "metaflow-bridge"
BRIDGE_DEPENDENCY = "source"
MANAGED_BY = {"app.kubernetes.io/managed-by": "metaflow-blueprints"}
EVENT_ANNOTATION = "metaflow-blueprints/metaflow-event"
DEAD_LETTER_TRIGGER = "metaflow-dead-letter"
DEAD_LETTER_LABEL = "metaflow-blueprints/dead-letter"
DEAD_LETTER_PREFIX = "mfb-dead-letter-"
SENSOR_ANNOTATION = "metaflow-blueprints/sensor"
URL_ANNOTATION = "metaflow-blueprints/webhook-url"

#: Default delivery retries: a POST every 30 s (+ up to 10 % jitter) for at least an hour
#: (120 sleeps of 30 s; wait.Backoff has no cap, factor 1 keeps the interval flat).
BRIDGE_RETRY = RetryStrategy(steps=121, duration="30s", factor=1.0, jitter=0.1)
#: Creating the dead-letter ConfigMap: a few quick retries against the Kubernetes API.
DEAD_LETTER_RETRY = RetryStrategy(steps=5, duration="1s", factor=2.0, jitter=0.2)


def default_webhook_url(namespace: str) -> str:
    """Metaflow's webhook EventSource URL in the reference deployments."""
    return (
        f"http://argo-events-webhook-eventsource-svc.{namespace}:{DEFAULT_WEBHOOK_PORT}"
        "/metaflow-event"
    )


@dataclass(frozen=True)
class MetaflowTarget:
    """Where Metaflow listens: the Argo Events namespace, bus and Metaflow's webhook.

    ``auth_header`` is a Secret key holding the complete ``Authorization`` header value
    (``Bearer <token>``) when Metaflow's webhook EventSource has an ``authSecret``.
    """

    namespace: str
    webhook_url: str
    event_bus: str = "default"
    auth_header: SecretKeyRef | None = None
    retry: RetryStrategy = BRIDGE_RETRY
    timeout_seconds: int = 10
    service_account_name: str | None = None


@dataclass(frozen=True)
class Bridge:
    """What one blueprint asks of the bridge.

    Without ``id`` the payload id is the CloudEvent id of the source event: unique per
    delivery, but a sender's retry gets a new one. Blueprints whose source has a natural
    key (S3 sequencer, dbt run id, ...) pass ``id`` so duplicates are recognisable.
    """

    sensor_name: str
    event: str
    event_source_name: str
    event_name: str
    payload: Mapping[str, PayloadField] = field(default_factory=dict)
    id: PayloadField | None = None
    timestamp_jq: str = NOW
    filters: EventFilters | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: Argo trigger ``rateLimit``: at most this many Metaflow events per unit.
    rate_limit: RateLimit | None = None

    def __post_init__(self) -> None:
        check_event("event", self.event)
        check_bridge_sensor_name("sensor_name", self.sensor_name)
        for key in self.payload:
            check_payload_key("payload", key)
        if self.filters is not None and self.filters.operator == "or" and self._required():
            raise BlueprintError(
                "filters",
                self.filters,
                "is an 'any' set, but the payload has required fields whose presence checks "
                "must all hold (Argo has one logical operator per dependency).",
                "Use an 'all' set, a single ExprFilter with '||', or a regex alternation.",
            )

    def _required(self) -> list[str]:
        paths: list[str] = []
        for item in (*self.payload.values(), *([self.id] if self.id else [])):
            paths.extend(p for p in item.requires if p not in paths)
        return paths

    def sensor(self, target: MetaflowTarget) -> Sensor:
        """Render the bridge as an argo Sensor for ``target``."""
        program = envelope_program(
            event=self.event,
            fields={k: v.jq for k, v in self.payload.items()},
            id_jq=self.id.jq if self.id else None,
            timestamp_jq=self.timestamp_jq,
        )
        presence = tuple(ExprFilter.exists(p) for p in self._required())
        user = self.filters.filters if self.filters else ()
        operator = self.filters.operator if self.filters else "and"
        filters = EventFilters(presence + tuple(user), operator)
        dependency = Dependency(
            name=BRIDGE_DEPENDENCY,
            event_source_name=self.event_source_name,
            event_name=self.event_name,
            filters=filters,
            transform=Transform(jq=program),
        )
        body = [
            TriggerParameter(ParamSource(BRIDGE_DEPENDENCY, value=self.event), "name"),
            TriggerParameter(
                ParamSource(BRIDGE_DEPENDENCY, data_key="metaflow", use_raw_data=True), "payload"
            ),
        ]
        if self.id is None:
            body.append(
                TriggerParameter(ParamSource(BRIDGE_DEPENDENCY, context_key="id"), "payload.id")
            )
        http = HttpTrigger(
            url=target.webhook_url,
            method="POST",
            headers={"Content-Type": "application/json"},
            secure_headers={"Authorization": target.auth_header} if target.auth_header else {},
            payload=body,
            timeout_seconds=target.timeout_seconds,
        )
        trigger = Trigger(
            name=BRIDGE_TRIGGER,
            action=http,
            policy=StatusPolicy((200,)),
            retry_strategy=target.retry,
            at_least_once=True,
            dlq_trigger=self.dead_letter_trigger(target),
            rate_limit=self.rate_limit,
        )
        return Sensor(
            name=self.sensor_name,
            namespace=target.namespace,
            dependencies=[dependency],
            triggers=[trigger],
            event_bus_name=target.event_bus,
            service_account_name=target.service_account_name,
            labels={**self.labels, **MANAGED_BY},
            annotations={EVENT_ANNOTATION: self.event},
        )

    def dead_letter_trigger(self, target: MetaflowTarget) -> Trigger:
        """Create a ConfigMap holding the Metaflow event the webhook never accepted.

        ``data``: ``name`` (the event), ``payload`` (the payload JSON exactly as posted,
        minus ``id`` when the id comes from the event context) and then ``id``.
        """
        resource = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "generateName": DEAD_LETTER_PREFIX,
                "namespace": target.namespace,
                "labels": {**MANAGED_BY, DEAD_LETTER_LABEL: "true"},
                "annotations": {
                    EVENT_ANNOTATION: self.event,
                    SENSOR_ANNOTATION: self.sensor_name,
                    URL_ANNOTATION: target.webhook_url,
                },
            },
            "data": {"name": self.event},
        }
        params = [
            TriggerParameter(ParamSource(BRIDGE_DEPENDENCY, data_key="metaflow"), "data.payload")
        ]
        if self.id is None:
            params.append(
                TriggerParameter(ParamSource(BRIDGE_DEPENDENCY, context_key="id"), "data.id")
            )
        return Trigger(
            name=DEAD_LETTER_TRIGGER,
            action=K8sTrigger(resource=resource, operation="create", parameters=params),
            retry_strategy=DEAD_LETTER_RETRY,
            at_least_once=True,
        )
