"""``S3ToMetaflow``: new objects in an existing S3 bucket start Metaflow flows."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Literal, Unpack

from metaflow_blueprints import rules
from metaflow_blueprints.argo import DataFilter, EventFilters, ExprFilter
from metaflow_blueprints.argo.filters import Filter, regex_literal
from metaflow_blueprints.aws.context import AwsContext
from metaflow_blueprints.aws.identity import SqsConsumer, check_consumer
from metaflow_blueprints.aws.s3_notifications import BucketNotifications, QueueRule
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, is_unresolved, provider_module
from metaflow_blueprints.sources.base import Source, as_filters
from metaflow_blueprints.sources.sqs import (
    SqsSourceProps,
    build_sqs_source,
    check_queue_choice,
    claim_queue,
    make_queue,
)

Delivery = Literal["notification", "eventbridge"]
_EVENT_TYPE = re.compile(r"^s3:[A-Za-z]+(:([A-Za-z]+|\*))?$")

#: S3 event type -> (EventBridge detail-type, detail.reason or None)
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
EVENTBRIDGE_TYPES: dict[str, tuple[str, str | None]] = {
    "s3:ObjectCreated:*": ("Object Created", None),
    "s3:ObjectCreated:Put": ("Object Created", "PutObject"),
    "s3:ObjectCreated:Post": ("Object Created", "PostObject"),
    "s3:ObjectCreated:Copy": ("Object Created", "CopyObject"),
    "s3:ObjectCreated:CompleteMultipartUpload": ("Object Created", "CompleteMultipartUpload"),
    "s3:ObjectRemoved:*": ("Object Deleted", None),
    "s3:ObjectRestore:Post": ("Object Restore Initiated", None),
    "s3:ObjectRestore:Completed": ("Object Restore Completed", None),
    "s3:ObjectRestore:Delete": ("Object Restore Expired", None),
    "s3:LifecycleTransition": ("Object Storage Class Changed", None),
    "s3:IntelligentTiering": ("Object Access Tier Changed", None),
    "s3:ObjectTagging:Put": ("Object Tags Added", None),
    "s3:ObjectTagging:Delete": ("Object Tags Deleted", None),
    "s3:ObjectAcl:Put": ("Object ACL Updated", None),
}

_URLDECODE_KEY = 'if type == "string" then mfb_urldecode else null end'


class S3ToMetaflow(Source):
    """Start every flow with ``@trigger(event=event)`` when an object lands in a bucket.

    Creates an encrypted SQS queue with a dead-letter queue (unless you bring one), the
    delivery (``notification``: a rule in the bucket's single
    ``aws_s3_bucket_notification``; ``eventbridge``: EventBridge enabled on the bucket plus
    an EventBridge rule and target), an IAM role that may only consume that queue bound to
    the EventSource's service account, the Argo SQS EventSource and the bridge Sensor.

    Payload of the Metaflow event: ``bucket``, ``key`` (URL-decoded for notifications;
    EventBridge keys are not encoded), ``size``, ``etag``, ``version_id``, ``sequencer``,
    ``event_name`` (``ObjectCreated:Put`` for notifications, the detail-type ``Object
    Created`` for EventBridge), ``event_time``, ``region``; ``id`` is
    ``s3://<bucket>/<key>#<sequencer>`` so redeliveries are recognisable and ``timestamp``
    is the S3 event time. Optional values that are missing (``version_id`` on an unversioned
    bucket, ``size`` of a delete) are left out of the payload, so the flow's ``Parameter``
    default applies.

    :param bucket_name: an existing bucket (name, not ARN).
    :param event: Metaflow event name, e.g. ``"s3.object.created"``.
    :param consumer: how the event source authenticates: ``SqsConsumer.irsa(...)``,
        ``SqsConsumer.pod_identity(...)`` or ``SqsConsumer.static_keys(...)``.
    :param prefix: only keys starting with this (decoded) prefix. Default: every key.
    :param suffix: only keys ending with this suffix. Default: every key.
    :param events: S3 event types. Default ``("s3:ObjectCreated:*",)``.
    :param delivery: ``"notification"`` (S3 → SQS; overlapping prefix/suffix rules on one
        bucket are rejected) or ``"eventbridge"`` (S3 → EventBridge → SQS; no overlap limits;
        costs EventBridge events). Default ``"notification"``.
    :param filters: extra sensor filters on the event data. Default: none.
    :param name: stem of queue, role, EventSource and Sensor names. Default: from the path.

    The queue props (``queue``, ``queue_arn``, ``queue_kms_key_arn``, ``encryption``,
    ``kms_key_arn``, ``max_receive_count``) are the
    :class:`~metaflow_blueprints.sources.sqs.QueueOptions` group (flat keyword arguments).

    Attributes: ``bucket_name``, ``bucket_arn``, ``delivery``, ``queue`` (``EventQueue`` or
    None), ``queue_arn``, ``queue_name``,
    ``notifications`` (the bucket's ``BucketNotifications``), ``notification`` (its
    ``aws_s3_bucket_notification``), ``rule`` / ``target`` (EventBridge, or None),
    ``identity``, ``role`` (or None), ``event_source``, ``sensor``, ``name``.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        consumer: SqsConsumer,
        prefix: str | None = None,
        suffix: str | None = None,
        events: Sequence[str] = ("s3:ObjectCreated:*",),
        delivery: Delivery = "notification",
        filters: EventFilters | Sequence[Filter] | None = None,
        **props: Unpack[SqsSourceProps],
    ) -> None:
        super().__init__(scope, id, props)
        event = props["event"]
        # --- validate everything before creating anything --------------------------------
        check_consumer(consumer)
        _check_bucket(bucket_name)
        events = _check_events(events)
        if delivery not in ("notification", "eventbridge"):
            raise BlueprintError("delivery", delivery, "must be 'notification' or 'eventbridge'.")
        for field, value in (("prefix", prefix), ("suffix", suffix)):
            if (
                value is not None
                and not is_unresolved(value)
                and (not isinstance(value, str) or value == "")
            ):
                raise BlueprintError(field, value, "must be a non-empty string or None (all keys).")
        eventbridge_types: list[tuple[str, str | None]] = []
        if delivery == "eventbridge":
            eventbridge_types = _eventbridge_types(events)
        choice = check_queue_choice(props)
        claim_queue(self, choice)
        bridge = self.plan_mapped_bridge(
            _bridge_mapping(delivery, events, eventbridge_types, prefix, suffix, bucket_name),
            as_filters(filters),
        )
        owner = self.node.path
        if delivery == "notification":
            probe = QueueRule(owner, "", tuple(events), prefix, suffix)
            BucketNotifications.check_rule(self, bucket_name, probe)

        # --- build --------------------------------------------------------------------
        context = AwsContext.of(self)
        self.bucket_name = bucket_name
        self.bucket_arn = f"arn:{context.partition}:s3:::{bucket_name}"
        self.delivery = delivery
        target = make_queue(self, choice, self.name)
        self.queue, self.queue_arn, self.queue_name = target.queue, target.arn, target.name

        self.notifications = BucketNotifications.for_bucket(self, bucket_name)
        self.notification = self.notifications.notification
        self.rule = None
        self.target = None
        depends: list[object] = []
        if self.queue is not None:
            depends.append(self.queue.queue_policy)
            if self.queue.kms_key is not None:
                depends.append(self.queue.kms_key)
        if delivery == "notification":
            if self.queue is not None:
                self.queue.allow_service(
                    "s3.amazonaws.com",
                    source_arn=self.bucket_arn,
                    source_account=context.account_id,
                )
            self.notifications.add_queue_rule(
                QueueRule(owner, self.queue_arn, tuple(events), prefix, suffix), depends_on=depends
            )
        else:
            self.notifications.enable_eventbridge()
            rule_mod = provider_module("aws", "cloudwatch_event_rule")
            self.rule = rule_mod.CloudwatchEventRule(
                self,
                "rule",
                name=self.name,
                description=f"S3 {bucket_name} {', '.join(events)} -> SQS (Metaflow event {event})",
                event_pattern=json.dumps(
                    eventbridge_pattern(bucket_name, eventbridge_types, prefix, suffix)
                ),
            )
            if self.queue is not None:
                self.queue.allow_service(
                    "events.amazonaws.com",
                    source_arn=self.rule.arn,
                    source_account=context.account_id,
                )
            self.target = provider_module("aws", "cloudwatch_event_target").CloudwatchEventTarget(
                self,
                "target",
                rule=self.rule.name,
                arn=self.queue_arn,
                target_id="sqs",
                depends_on=depends or None,
            )

        parts = build_sqs_source(
            self, metaflow=props["metaflow"], consumer=consumer, target=target, bridge=bridge
        )
        self.identity, self.role = parts.identity, parts.identity.role
        self.event_source, self.sensor = parts.event_source, parts.sensor


# --- validation -----------------------------------------------------------------------------


def _check_bucket(bucket: str) -> None:
    if not is_unresolved(bucket):
        rules.check("bucket_name", bucket, rules.S3_BUCKET)


def _check_events(events: Sequence[str]) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Sequence) or not events:
        raise BlueprintError(
            "events",
            events,
            "must be a non-empty list of S3 event types.",
            "e.g. ['s3:ObjectCreated:*'].",
        )
    for item in events:
        if not isinstance(item, str) or not _EVENT_TYPE.fullmatch(item) or item == "s3:TestEvent":
            raise BlueprintError(
                "events",
                item,
                "is not an S3 event type.",
                "Use names such as 's3:ObjectCreated:*' or 's3:ObjectCreated:Put' "
                "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html).",
            )
    if len(set(events)) != len(events):
        raise BlueprintError("events", list(events), "lists an event type twice.")
    return list(events)


def _eventbridge_types(events: Sequence[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for item in events:
        if item not in EVENTBRIDGE_TYPES:
            raise BlueprintError(
                "events",
                item,
                "has no EventBridge equivalent supported by delivery='eventbridge'.",
                f"Supported: {', '.join(EVENTBRIDGE_TYPES)}.",
            )
        out.append(EVENTBRIDGE_TYPES[item])
    with_reason = [t for t in out if t[1] is not None]
    if with_reason and len(with_reason) != len(out):
        raise BlueprintError(
            "events",
            list(events),
            "mixes ObjectCreated sub-types (matched on detail.reason) with other event types.",
            "Use 's3:ObjectCreated:*', or one blueprint per group of event types.",
        )
    return out


# --- EventBridge --------------------------------------------------------------------------


def _wildcard_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


def eventbridge_pattern(
    bucket: str,
    types: Sequence[tuple[str, str | None]],
    prefix: str | None,
    suffix: str | None,
) -> dict[str, object]:
    """The EventBridge event pattern for one bucket, event types and key filters."""
    detail: dict[str, object] = {"bucket": {"name": [bucket]}}
    if prefix and suffix:
        detail["object"] = {
            "key": [{"wildcard": f"{_wildcard_literal(prefix)}*{_wildcard_literal(suffix)}"}]
        }
    elif prefix:
        detail["object"] = {"key": [{"prefix": prefix}]}
    elif suffix:
        detail["object"] = {"key": [{"suffix": suffix}]}
    reasons = sorted({r for _, r in types if r})
    if reasons:
        detail["reason"] = reasons
    return {
        "source": ["aws.s3"],
        "detail-type": sorted({t for t, _ in types}),
        "detail": detail,
    }


# --- the bridge ----------------------------------------------------------------------------


def _record_event_regex(event_type: str) -> str:
    """``s3:ObjectCreated:*`` -> ``ObjectCreated:[A-Za-z]+`` (as records spell it)."""
    group, _, kind = event_type.removeprefix("s3:").rpartition(":")
    if kind == "*":
        return regex_literal(group + ":") + "[A-Za-z]+"
    return regex_literal(event_type.removeprefix("s3:"))


def _field(path: str, *, required: bool) -> PayloadField:
    if required:
        return PayloadField.path(path, root=["body"])
    return PayloadField.path(path, root=["body"], default=None)


def _bridge_mapping(
    delivery: Delivery,
    events: Sequence[str],
    types: Sequence[tuple[str, str | None]],
    prefix: str | None,
    suffix: str | None,
    bucket_name: str,
) -> tuple[dict[str, PayloadField], PayloadField, str, EventFilters]:
    """Payload fields, id, timestamp jq and filters for one delivery mode."""
    if delivery == "notification":
        root = "Records.0."
        raw_key = _field(root + "s3.object.key", required=True)
        key = PayloadField(f"({raw_key.jq} | {_URLDECODE_KEY})", raw_key.requires)
        fields = {
            "bucket": _field(root + "s3.bucket.name", required=True),
            "key": key,
            "size": _field(root + "s3.object.size", required=False),
            "etag": _field(root + "s3.object.eTag", required=False),
            "version_id": _field(root + "s3.object.versionId", required=False),
            "sequencer": _field(root + "s3.object.sequencer", required=False),
            "event_name": _field(root + "eventName", required=True),
            "event_time": _field(root + "eventTime", required=True),
            "region": _field(root + "awsRegion", required=False),
        }
        # Records carry the event type without the "s3:" prefix ("ObjectCreated:Put").
        alternatives = "|".join(_record_event_regex(e) for e in events)
        type_filters: list[Filter] = [
            DataFilter.at("body.Records.0.eventName").string().matches(f"^({alternatives})$")
        ]
    else:
        fields = {
            "bucket": _field("detail.bucket.name", required=True),
            "key": _field("detail.object.key", required=True),
            "size": _field("detail.object.size", required=False),
            "etag": _field("detail.object.etag", required=False),
            "version_id": _field("detail.object.version-id", required=False),
            "sequencer": _field("detail.object.sequencer", required=False),
            "event_name": _field("detail-type", required=True),
            "event_time": _field("time", required=True),
            "region": _field("region", required=False),
        }
        type_filters = [
            DataFilter.at("body.source").string().equals("aws.s3"),
            DataFilter.at("body.detail-type").string().equals(*sorted({t for t, _ in types})),
        ]
        reasons = sorted({r for _, r in types if r})
        if reasons:
            type_filters.append(DataFilter.at("body.detail.reason").string().equals(*reasons))
    # Key filters run on the decoded key the transform computed (anchored regexes).
    # (A Terraform-token prefix/suffix is left to the delivery side's own filtering.)
    key_filters: list[Filter] = []
    if prefix and not is_unresolved(prefix):
        key_filters.append(DataFilter.at("metaflow.key").string().starts_with(prefix))
    if suffix and not is_unresolved(suffix):
        key_filters.append(DataFilter.at("metaflow.key").string().ends_with(suffix))
    id_field = PayloadField(
        f'("s3://" + {fields["bucket"].jq} + "/" + {fields["key"].jq} + "#"'
        f' + (({fields["sequencer"].jq}) // "" | tostring))',
        fields["bucket"].requires + fields["key"].requires,
    )
    time_jq = fields["event_time"].jq
    timestamp = f"((try ({time_jq} | mfb_epoch) catch null) // (now | floor))"
    return fields, id_field, timestamp, EventFilters.all(
        [_bucket_filter(bucket_name), *type_filters, *key_filters]
    )


def _bucket_filter(bucket_name: str) -> Filter:
    """Only this bucket's events, whatever else reaches the queue (anchored, exact).

    A Terraform token is compared in a govaluate string literal that Terraform fills in at
    plan time (bucket names have no quote or backslash to escape).
    """
    if is_unresolved(bucket_name):
        return ExprFilter(f"bucket == '{bucket_name}'", {"bucket": "metaflow.bucket"})
    return DataFilter.at("metaflow.bucket").string().equals(bucket_name)
