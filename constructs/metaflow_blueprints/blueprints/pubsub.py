"""``PubSubToMetaflow``: a Pub/Sub message starts Metaflow flows.

Also holds the Pub/Sub consumer machinery (subscription, identity, EventSource) that
``GcsToMetaflow`` reuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints.argo import (
    DataFilter,
    EventFilters,
    EventSource,
    PubSubEvent,
    derive_name,
)
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.blueprints.base import (
    add_bridge_sensor,
    as_filters,
    as_payload,
    base_name,
    check_metaflow,
    event_key,
    plan_bridge,
)
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import LABELS, check_account_id, check_project
from metaflow_blueprints.gcp.common import topic_path as full_topic_path
from metaflow_blueprints.gcp.identity import PubSubSubscriberIdentity
from metaflow_blueprints.gcp.subscription import PubSubSubscription, check_subscription_settings
from metaflow_blueprints.k8s.manifests import ArgoEventSource
from metaflow_blueprints.metaflow import PayloadField, check_event
from metaflow_blueprints.metaflow.bridge import MANAGED_BY
from metaflow_blueprints.metaflow.payload import split_path
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, address, is_unresolved, provider_module

#: Metaflow ``timestamp`` = the message's publish time (Argo renders it with Go's
#: ``time.String()``: ``2025-01-15 10:20:30.123 +0000 UTC``); the bridge's clock otherwise.
PUBLISH_TIME_JQ = (
    '(.publishTime | if (type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2} '
    '[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)? [+]0000 UTC$")) '
    'then (.[0:10] + "T" + .[11:19] + "Z" | fromdateiso8601) else (now | floor) end)'
)
_GJSON_SPECIAL = re.compile(r"([.*?])")
_ATTRIBUTE = re.compile(r"^[^|#@\\]+$")


def attribute_path(name: str, field_name: str = "attributes_filter") -> str:
    """gjson path of message attribute ``name`` (dots and wildcards escaped)."""
    if not isinstance(name, str) or not _ATTRIBUTE.fullmatch(name) or name.startswith("goog"):
        raise BlueprintError(
            field_name,
            name,
            "is not a usable attribute name.",
            "Attribute names must be non-empty, must not start with 'goog' and must not "
            "contain '|', '#', '@' or '\\'.",
        )
    return "attributes." + _GJSON_SPECIAL.sub(r"\\\1", name)


def attribute_filters(attributes: Mapping[str, str | Sequence[str]] | None) -> list[Filter]:
    """``{"kind": "order"}`` -> exact-match data filters on message attributes."""
    if attributes is None:
        return []
    if not isinstance(attributes, Mapping):
        raise BlueprintError(
            "attributes_filter", attributes, "must map attribute names to a value or values."
        )
    out: list[Filter] = []
    for name, wanted in attributes.items():
        values = (wanted,) if isinstance(wanted, str) else tuple(wanted)
        if not values or not all(isinstance(v, str) and v for v in values):
            raise BlueprintError(
                f"attributes_filter[{name!r}]", wanted, "must be a non-empty string or strings."
            )
        if any(is_unresolved(v) for v in values):
            raise BlueprintError(
                f"attributes_filter[{name!r}]",
                wanted,
                "must be literal strings: filter values become regular expressions in the Sensor.",
            )
        out.append(DataFilter.at(attribute_path(name)).string().equals(*values))
    return out


def message_payload(
    payload: Mapping[str, str | PayloadField] | None, *, json_body: bool
) -> dict[str, PayloadField]:
    """Payload keys -> ``attributes.<name>`` / ``body.<path>`` paths of a Pub/Sub message."""
    return as_payload(payload, field_for=lambda where, spec: _message_field(where, spec, json_body))


def _message_field(where: str, spec: str, json_body: bool) -> PayloadField:
    if spec.startswith("attributes."):
        escaped = spec[len("attributes.") :].replace(".", "\\.")
        split_path(escaped, where)
        return PayloadField.path(escaped, root=["attributes"])
    head = split_path(spec, where)[0]
    if head == "body" and json_body:
        return PayloadField.path(spec)
    if head == "body":
        raise BlueprintError(
            where,
            spec,
            "reads the message body, but json_body=False delivers it base64-encoded.",
            "Map attributes only, or use a PayloadField.expression with '@base64d'.",
        )
    raise BlueprintError(
        where,
        spec,
        "must start with 'attributes.' (a message attribute) or 'body' (the JSON body).",
        "E.g. 'attributes.table' or 'body.order.id'.",
    )


def account_id_for(name: str) -> str:
    """A Google service-account id (6-30 characters) derived from a blueprint name."""
    candidate = derive_name("mfb", name, max_length=30)
    return candidate if len(candidate) >= 6 else f"{candidate}-sa"


@dataclass
class PubSubConsumerProps:
    """What the Pub/Sub consumer machinery needs (shared by the Pub/Sub and GCS blueprints)."""

    project: str
    subscription_id: str | None = None
    ack_deadline_seconds: int = 60
    message_retention_seconds: int = 604800
    minimum_backoff_seconds: int = 10
    maximum_backoff_seconds: int = 600
    dead_letter: bool = True
    max_delivery_attempts: int = 5
    project_number: str | None = None
    kms_key_name: str | None = None
    service_account_id: str | None = None
    workload_identity_pool: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def check(self, name: str, topic: str | None) -> None:
        """Validate every setting (creates nothing), for the blueprint stem ``name``."""
        check_project("project", self.project)
        check_subscription_settings(
            topic=topic or "placeholder-topic",
            project=self.project,
            subscription_id=self.subscription_id or f"mfb-{name}",
            ack_deadline_seconds=self.ack_deadline_seconds,
            message_retention_seconds=self.message_retention_seconds,
            minimum_backoff_seconds=self.minimum_backoff_seconds,
            maximum_backoff_seconds=self.maximum_backoff_seconds,
            dead_letter=self.dead_letter,
            max_delivery_attempts=self.max_delivery_attempts,
            project_number=self.project_number,
            kms_key_name=self.kms_key_name,
        )
        check_account_id("service_account_id", self.service_account_id or account_id_for(name))


class PubSubConsumer:
    """Subscription + identity + Pub/Sub EventSource for one blueprint (not a construct).

    The EventSource names only ``subscriptionID`` and ``projectID``, never ``topic``: with a
    topic, Argo calls ``subscriptions.get`` to verify it, a permission
    ``roles/pubsub.subscriber`` does not hold; without one it checks
    ``pubsub.subscriptions.consume`` and never creates a subscription of its own.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        metaflow: MetaflowEvents,
        name: str,
        event_name: str,
        topic_id: str,
        props: PubSubConsumerProps,
        json_body: bool,
    ) -> None:
        self.subscription_id = props.subscription_id or f"mfb-{name}"
        self.subscription = PubSubSubscription(
            scope,
            "subscription",
            topic=topic_id,
            project=props.project,
            subscription_id=self.subscription_id,
            ack_deadline_seconds=props.ack_deadline_seconds,
            message_retention_seconds=props.message_retention_seconds,
            minimum_backoff_seconds=props.minimum_backoff_seconds,
            maximum_backoff_seconds=props.maximum_backoff_seconds,
            dead_letter=props.dead_letter,
            max_delivery_attempts=props.max_delivery_attempts,
            project_number=props.project_number,
            kms_key_name=props.kms_key_name,
            labels=props.labels,
        )
        self.identity = PubSubSubscriberIdentity(
            scope,
            "identity",
            project=props.project,
            account_id=props.service_account_id or account_id_for(name),
            subscription=self.subscription.subscription.name,
            namespace=metaflow.namespace,
            kubernetes_service_account=derive_name(name, "pubsub"),
            workload_identity_pool=props.workload_identity_pool,
            labels=MANAGED_BY,
        )
        identity = self.identity
        self.event_source = ArgoEventSource(
            scope,
            "event_source",
            event_source=EventSource(
                name=name,
                namespace=metaflow.namespace,
                events={
                    event_name: PubSubEvent(
                        subscription_id=self.subscription_id,
                        project_id=props.project,
                        json_body=json_body,
                    )
                },
                event_bus_name=metaflow.target.event_bus,
                service_account_name=identity.kubernetes_service_account.name,
                labels=MANAGED_BY,
            ),
            depends_on=[
                self.subscription.subscription,
                identity.subscriber,
                identity.workload_identity_user,
                identity.kubernetes_service_account.service_account,
            ],
        )


class PubSubToMetaflow(Construct):
    """Start every flow with ``@trigger(event=event)`` when a message arrives on a topic.

    Creates (or uses) the topic, a dedicated pull subscription for the event source
    (explicit id, never expires, retry policy, dead-letter topic with its own subscription,
    Pub/Sub service-agent grants), a Google service account with ``roles/pubsub.subscriber``
    on that subscription only, bound through Workload Identity to the EventSource's
    Kubernetes service account, the Pub/Sub EventSource (its own object) and the bridge
    Sensor. The Metaflow payload ``id`` is the Pub/Sub message id (stable across
    redeliveries); ``timestamp`` is the publish time.

    :param metaflow: the cluster's Metaflow setup (namespace, bus, webhook).
    :param event: Metaflow event name, e.g. ``"orders.created"``.
    :param project: project of the subscription, the created topic and service account.
    :param topic: an existing ``google_pubsub_topic`` construct to subscribe to.
    :param topic_name: an existing topic by id (in ``project``) or ``projects/P/topics/T``.
        Not with ``topic``. Default (neither): a topic named ``<name>`` is created.
    :param payload: payload keys -> ``attributes.<name>`` or ``body.<dotted.path>``, e.g.
        ``{"table": "attributes.table", "order_id": "body.order.id"}``; a message missing
        a mapped path is dropped (use ``PayloadField`` with a default for optional keys).
        Default: none (only the envelope: name, id, timestamp, utc_date).
    :param attributes_filter: attribute name -> exact value (or list of values); other
        messages start nothing. Default: every message starts the flows.
    :param filters: further sensor filters on the event data. Default: none.
    :param json_body: messages are JSON (``jsonBody: true``, ``body.*`` paths work; a
        non-JSON message is nacked, redelivered and finally dead-lettered). ``False`` passes
        the body base64-encoded and forbids ``body.*`` paths. Default ``True``.
    :param subscription_id: id of the created subscription. Default ``mfb-<name>``.
    :param ack_deadline_seconds, message_retention_seconds, minimum_backoff_seconds,
        maximum_backoff_seconds, dead_letter, max_delivery_attempts, project_number:
        subscription settings, see ``PubSubSubscription`` (defaults 60 s, 7 days, 10-600 s
        backoff, dead-lettering on after 5 attempts, number read from ``google_project``).
    :param kms_key_name: Cloud KMS key for the created topics (customer-managed encryption);
        the Pub/Sub service agent gets encrypter/decrypter on it. Default: Google-managed.
    :param service_account_id: id of the Google service account. Default ``mfb-<name>``.
    :param workload_identity_pool: the GKE cluster's pool. Default ``<project>.svc.id.goog``.
    :param name: stem of the EventSource, Sensor and GCP resource names. Default: derived
        from the construct path.

    Attributes: ``topic`` (the created or given ``google_pubsub_topic``; None with
    ``topic_name``), ``topic_id``, ``subscription`` (``PubSubSubscription``),
    ``subscription_id``, ``identity`` (``PubSubSubscriberIdentity``), ``event_source``,
    ``sensor``, ``name``.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        metaflow: MetaflowEvents,
        event: str,
        project: str,
        topic: Any = None,
        topic_name: str | None = None,
        payload: Mapping[str, str | PayloadField] | None = None,
        attributes_filter: Mapping[str, str | Sequence[str]] | None = None,
        filters: EventFilters | Sequence[Filter] | None = None,
        json_body: bool = True,
        subscription_id: str | None = None,
        ack_deadline_seconds: int = 60,
        message_retention_seconds: int = 604800,
        minimum_backoff_seconds: int = 10,
        maximum_backoff_seconds: int = 600,
        dead_letter: bool = True,
        max_delivery_attempts: int = 5,
        project_number: str | None = None,
        kms_key_name: str | None = None,
        service_account_id: str | None = None,
        workload_identity_pool: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        check_event(event)
        check_metaflow(metaflow)
        props = PubSubConsumerProps(
            project=project,
            subscription_id=subscription_id,
            ack_deadline_seconds=ack_deadline_seconds,
            message_retention_seconds=message_retention_seconds,
            minimum_backoff_seconds=minimum_backoff_seconds,
            maximum_backoff_seconds=maximum_backoff_seconds,
            dead_letter=dead_letter,
            max_delivery_attempts=max_delivery_attempts,
            project_number=project_number,
            kms_key_name=kms_key_name,
            service_account_id=service_account_id,
            workload_identity_pool=workload_identity_pool,
        )
        self.name = base_name(self, name)
        props.check(self.name, None)
        topic_class = provider_module("google", "pubsub_topic").PubsubTopic
        if topic is not None and topic_name is not None:
            raise BlueprintError(
                "topic/topic_name",
                (topic, topic_name),
                "give one or neither: an existing topic object, or the name of one.",
            )
        if topic is not None and not isinstance(topic, topic_class):
            raise BlueprintError("topic", topic, "must be a google_pubsub_topic (PubsubTopic).")
        if not isinstance(json_body, bool):
            raise BlueprintError("json_body", json_body, "must be True or False.")
        topic_id = full_topic_path("topic_name", topic_name, project) if topic_name else None
        event_name = event_key(event)
        user_filters = as_filters(filters)
        attribute_set = EventFilters.all(attribute_filters(attributes_filter))
        combined = user_filters & attribute_set if user_filters else attribute_set
        bridge = plan_bridge(
            metaflow,
            self.name,
            scope=self,
            event=event,
            event_source_name=self.name,
            event_name=event_name,
            payload=message_payload(payload, json_body=json_body),
            id=PayloadField.path("id"),
            timestamp_jq=PUBLISH_TIME_JQ,
            filters=combined if combined.filters else None,
        )

        self.topic: Any = topic
        if topic is None and topic_name is None:
            self.topic = topic_class(
                self,
                "topic",
                name=self.name,
                project=project,
                kms_key_name=kms_key_name,
                labels=dict(LABELS),
            )
        self.topic_id: str = topic_id if topic_id is not None else self.topic.id
        consumer = PubSubConsumer(
            self,
            metaflow=metaflow,
            name=self.name,
            event_name=event_name,
            topic_id=self.topic_id,
            props=props,
            json_body=json_body,
        )
        if self.topic is not None and topic is None and consumer.subscription.kms_grant:
            self.topic.depends_on = [address(consumer.subscription.kms_grant)]
        self.subscription = consumer.subscription
        self.subscription_id = consumer.subscription_id
        self.identity = consumer.identity
        self.event_source = consumer.event_source
        self.sensor = add_bridge_sensor(
            self, metaflow=metaflow, bridge=bridge, event_source=self.event_source
        )
