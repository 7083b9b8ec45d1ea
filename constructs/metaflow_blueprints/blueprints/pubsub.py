"""``PubSubToMetaflow``: a Pub/Sub message starts Metaflow flows."""


from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metaflow_blueprints.argo import (
    EventFilters,
)
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import LABELS
from metaflow_blueprints.gcp.common import topic_path as full_topic_path
from metaflow_blueprints.metaflow import PayloadField, check_event
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, address, provider_module
from metaflow_blueprints.sources.base import (
    add_bridge_sensor,
    as_filters,
    base_name,
    check_metaflow,
    event_key,
    plan_bridge,
)
from metaflow_blueprints.sources.pubsub import (
    PUBLISH_TIME_JQ,
    PubSubConsumer,
    PubSubConsumerProps,
    attribute_filters,
    message_payload,
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
        check_event("event", event)
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
        topic_id = (
            None if topic_name is None else full_topic_path("topic_name", topic_name, project)
        )
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
