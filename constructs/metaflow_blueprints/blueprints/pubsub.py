"""``PubSubToMetaflow``: a Pub/Sub message starts Metaflow flows."""


from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from metaflow_blueprints.argo import (
    EventFilters,
)
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import topic_path as full_topic_path
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, address, provider_module
from metaflow_blueprints.sources.base import Source, as_filters
from metaflow_blueprints.sources.pubsub import (
    PUBLISH_TIME_JQ,
    PubSubConsumer,
    PubSubConsumerProps,
    PubSubSourceProps,
    attribute_filters,
    message_payload,
)


class PubSubToMetaflow(Source):
    """Start every flow with ``@trigger(event=event)`` when a message arrives on a topic.

    Creates (or uses) the topic, a dedicated pull subscription for the event source
    (explicit id, never expires, retry policy, dead-letter topic with its own subscription,
    Pub/Sub service-agent grants), a Google service account with ``roles/pubsub.subscriber``
    on that subscription only, bound through Workload Identity to the EventSource's
    Kubernetes service account, the Pub/Sub EventSource (its own object) and the bridge
    Sensor. The Metaflow payload ``id`` is the Pub/Sub message id (stable across
    redeliveries); ``timestamp`` is the publish time.

    :param event: Metaflow event name, e.g. ``"orders.created"``.
    :param project: project of the subscription, the created topic and service account.
    :param topic: an existing ``google_pubsub_topic`` construct to subscribe to. Not with
        ``topic_name``. Default: none.
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
    :param name: stem of the EventSource, Sensor and GCP resource names. Default: derived
        from the construct path.

    The subscription, identity and KMS props (``subscription_id``, ack deadline, retention,
    backoff, dead-lettering, ``project_number``, ``kms_key_name``, ``service_account_id``,
    ``workload_identity_pool``) are the
    :class:`~metaflow_blueprints.sources.pubsub.PubSubOptions` group (flat keyword arguments).

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
        project: str,
        topic: Any = None,
        topic_name: str | None = None,
        payload: Mapping[str, str | PayloadField] | None = None,
        attributes_filter: Mapping[str, str | Sequence[str]] | None = None,
        filters: EventFilters | Sequence[Filter] | None = None,
        json_body: bool = True,
        **props: Unpack[PubSubSourceProps],
    ) -> None:
        super().__init__(scope, id, props)
        consumer_props = PubSubConsumerProps.of(project, props)
        consumer_props.check(self.name, None)
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
        user_filters = as_filters(filters)
        attribute_set = EventFilters.all(attribute_filters(attributes_filter))
        combined = user_filters & attribute_set if user_filters else attribute_set
        bridge = self.plan_bridge(
            payload=message_payload(payload, json_body=json_body),
            id=PayloadField.path("id"),
            timestamp_jq=PUBLISH_TIME_JQ,
            filters=combined if combined.filters else None,
        )

        self.topic: Any = topic
        if topic is None and topic_name is None:
            self.topic = consumer_props.create_topic(self, self.name)
        self.topic_id: str = topic_id if topic_id is not None else self.topic.id
        consumer = PubSubConsumer(
            self, metaflow=props["metaflow"], bridge=bridge, topic_id=self.topic_id,
            props=consumer_props, json_body=json_body,
        )
        if self.topic is not None and topic is None and consumer.subscription.kms_grant:
            self.topic.depends_on = [address(consumer.subscription.kms_grant)]
        self.subscription, self.subscription_id = consumer.subscription, consumer.subscription_id
        self.identity, self.event_source = consumer.identity, consumer.event_source
        self.sensor = consumer.sensor
