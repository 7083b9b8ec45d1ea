"""``GcsToMetaflow``: a new (or changed) object in a GCS bucket starts Metaflow flows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from metaflow_blueprints import rules
from metaflow_blueprints.argo import DataFilter, EventFilters
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import check_project, grant_publisher
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, address, is_unresolved, provider_module
from metaflow_blueprints.sources.base import Source, as_filters
from metaflow_blueprints.sources.pubsub import (
    PubSubConsumer,
    PubSubConsumerProps,
    PubSubSourceProps,
    message_payload,
)

EVENT_TYPES = ("OBJECT_FINALIZE", "OBJECT_METADATA_UPDATE", "OBJECT_DELETE", "OBJECT_ARCHIVE")

#: Metaflow ``timestamp`` = the notification's ``eventTime`` (RFC 3339, UTC); the bridge's
#: clock when it is absent or malformed.
EVENT_TIME_JQ = (
    '(.attributes.eventTime | if (type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
    '[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z$")) then mfb_epoch else (now | floor) end)'
)


def _attribute(name: str) -> PayloadField:
    return PayloadField.path(name, root=["attributes"])


#: The payload every GCS event carries (object attributes are never URL-encoded).
GCS_PAYLOAD: dict[str, PayloadField] = {
    "bucket": _attribute("bucketId"),
    "object_name": _attribute("objectId"),
    "generation": _attribute("objectGeneration"),
    "size": PayloadField.expression(
        '(try (.body.size | if type == "string" then tonumber else . end) catch null)'
    ),
    "content_type": PayloadField.path("contentType", root=["body"], default=None),
    "event_type": _attribute("eventType"),
    "event_time": _attribute("eventTime"),
}
#: ``id`` = ``<bucket>/<object>#<generation>``: the same for every redelivery of one event.
GCS_ID = PayloadField.expression(
    '.attributes.bucketId + "/" + .attributes.objectId + "#" + .attributes.objectGeneration',
    requires=("attributes.bucketId", "attributes.objectId", "attributes.objectGeneration"),
)


def _literal(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise BlueprintError(field, value, "must be a non-empty string or None.")
    return value


#: A GCS bucket name (the name, not a gs:// URL).


class GcsToMetaflow(Source):
    """Start every flow with ``@trigger(event=event)`` when an object changes in a bucket.

    On an existing bucket: a dedicated topic, a ``google_storage_notification``
    (``JSON_API_V1``, ``object_name_prefix``, event types, custom attributes) that depends
    on the ``roles/pubsub.publisher`` grant of the project's GCS service agent on that topic,
    then the same consumer machinery as ``PubSubToMetaflow`` (dedicated subscription with
    dead-lettering, least-privilege identity through Workload Identity, Pub/Sub
    EventSource) and the bridge Sensor. Prefix, suffix and event types are also checked
    in the Sensor (anchored), so a shared or hand-edited notification cannot widen them.

    Payload: ``bucket``, ``object_name`` (not URL-encoded), ``generation`` (string),
    ``size`` (integer bytes; left out if absent), ``content_type`` (left out if absent),
    ``event_type``, ``event_time`` (RFC 3339); ``id`` = ``<bucket>/<object>#<generation>``;
    ``timestamp`` = ``event_time`` in epoch seconds.

    :param bucket_name: the existing bucket (name, not ``gs://``).
    :param event: Metaflow event name, e.g. ``"gcs.object.finalized"``.
    :param project: project of the topic, subscription and service account.
    :param bucket_project: project that owns the bucket (whose GCS service agent publishes).
        Default ``project``.
    :param prefix: only objects whose name starts with it (notification filter and sensor
        filter). Default: every object.
    :param suffix: only objects whose name ends with it (sensor filter only: GCS has none).
        Default: every object.
    :param event_types: GCS event types to deliver. Default ``("OBJECT_FINALIZE",)``: new
        objects and overwrites, not deletes or metadata updates.
    :param custom_attributes: extra message attributes set by the notification. Default
        ``{"metaflow-event": event}``.
    :param payload: extra payload keys -> ``attributes.<name>`` / ``body.<path>``, e.g.
        ``{"md5": "body.md5Hash"}``. Must not reuse a built-in key. Default: none.
    :param filters: further sensor filters on the event data. Default: none.
    :param name: stem of the EventSource, Sensor and GCP resource names. Default: derived
        from the construct path.

    The subscription, identity and KMS props are the
    :class:`~metaflow_blueprints.sources.pubsub.PubSubOptions` group, as for
    ``PubSubToMetaflow``.

    Attributes: ``topic``, ``topic_id``, ``storage_service_agent`` (data source),
    ``publisher`` (the agent's grant on the topic), ``notification``, ``subscription``,
    ``subscription_id``, ``identity``, ``event_source``, ``sensor``, ``name``.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        project: str,
        bucket_project: str | None = None,
        prefix: str | None = None,
        suffix: str | None = None,
        event_types: Sequence[str] = ("OBJECT_FINALIZE",),
        custom_attributes: Mapping[str, str] | None = None,
        payload: Mapping[str, str | PayloadField] | None = None,
        filters: EventFilters | Sequence[Filter] | None = None,
        **props: Unpack[PubSubSourceProps],
    ) -> None:
        super().__init__(scope, id, props)
        event = props["event"]
        _check_bucket(bucket_name)
        if bucket_project is not None:
            check_project("bucket_project", bucket_project)
        consumer_props = PubSubConsumerProps.of(project, props)
        consumer_props.check(self.name, None)
        types = _check_event_types(event_types)
        prefix = _literal("prefix", prefix)
        suffix = _literal("suffix", suffix)
        if suffix is not None and is_unresolved(suffix):
            raise BlueprintError(
                "suffix",
                suffix,
                "must be a literal string: it becomes an anchored regex in the Sensor.",
            )
        attributes = (
            dict(custom_attributes) if custom_attributes is not None else {"metaflow-event": event}
        )
        for key in attributes:
            if not isinstance(key, str) or not key or key.startswith("goog"):
                raise BlueprintError(
                    "custom_attributes", key, "keys must be non-empty and not start with 'goog'."
                )
        extra = message_payload(payload, json_body=True)
        clash = sorted(set(extra) & set(GCS_PAYLOAD))
        if clash:
            raise BlueprintError(
                "payload", clash, "reuses built-in GCS payload keys.", "Pick other key names."
            )

        sensor_filters: list[Filter] = [
            DataFilter.at("attributes.eventType").string().equals(*types)
        ]
        if not is_unresolved(bucket_name):
            sensor_filters.append(DataFilter.at("attributes.bucketId").string().equals(bucket_name))
        if prefix is not None and not is_unresolved(prefix):
            sensor_filters.append(DataFilter.at("attributes.objectId").string().starts_with(prefix))
        if suffix is not None:
            sensor_filters.append(DataFilter.at("attributes.objectId").string().ends_with(suffix))
        user_filters = as_filters(filters)
        own = EventFilters.all(sensor_filters)
        bridge = self.plan_bridge(
            payload={**GCS_PAYLOAD, **extra},
            id=GCS_ID,
            timestamp_jq=EVENT_TIME_JQ,
            filters=own & user_filters if user_filters else own,
        )

        self.topic: Any = consumer_props.create_topic(self, self.name)
        self.topic_id: str = self.topic.id
        agent = provider_module("google", "data_google_storage_project_service_account")
        self.storage_service_agent = agent.DataGoogleStorageProjectServiceAccount(
            self, "storage_service_agent", project=bucket_project or project
        )
        self.publisher = grant_publisher(
            self,
            "publisher",
            project=project,
            topic=self.topic.name,
            member=self.storage_service_agent.member,
        )
        notification = provider_module("google", "storage_notification")
        self.notification = notification.StorageNotification(
            self,
            "notification",
            bucket=bucket_name,
            topic=self.topic.id,
            payload_format="JSON_API_V1",
            event_types=list(types),
            object_name_prefix=prefix,
            custom_attributes=attributes or None,
            depends_on=[self.publisher],
        )
        consumer = PubSubConsumer(
            self, metaflow=props["metaflow"], bridge=bridge, topic_id=self.topic_id,
            props=consumer_props, json_body=True,
        )
        if consumer.subscription.kms_grant is not None:
            self.topic.depends_on = [address(consumer.subscription.kms_grant)]
        self.subscription, self.subscription_id = consumer.subscription, consumer.subscription_id
        self.identity, self.event_source = consumer.identity, consumer.event_source
        self.sensor = consumer.sensor


def _check_bucket(bucket: str) -> None:
    if not is_unresolved(bucket):
        rules.GCS_BUCKET.check("bucket_name", bucket)


def _check_event_types(event_types: Sequence[str]) -> tuple[str, ...]:
    if isinstance(event_types, str) or not isinstance(event_types, Sequence) or not event_types:
        raise BlueprintError(
            "event_types", event_types, "must be a non-empty list of GCS event types."
        )
    bad = [t for t in event_types if t not in EVENT_TYPES]
    if bad:
        raise BlueprintError(
            "event_types", bad[0], f"is not a GCS event type; use one of {', '.join(EVENT_TYPES)}."
        )
    return tuple(dict.fromkeys(event_types))
