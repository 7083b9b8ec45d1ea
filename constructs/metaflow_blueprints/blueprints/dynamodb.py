"""``DynamoDbToMetaflow``: new (or changed, or removed) DynamoDB items start Metaflow flows.

DynamoDB Streams → EventBridge Pipes (``aws_pipes_pipe``) → SQS → Argo SQS EventSource →
bridge Sensor. With an SQS target, Pipes sends each stream record as one message whose body
is the record itself: ``{"eventID", "eventName", "eventVersion", "eventSource":
"aws:dynamodb", "awsRegion", "dynamodb": {"ApproximateCreationDateTime", "Keys",
"NewImage", "OldImage", "SequenceNumber", "SizeBytes", "StreamViewType"},
"eventSourceARN"}`` (eb-pipes-dynamodb.html, eb-pipes-batching-concurrency.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Literal, Unpack

from metaflow_blueprints import rules
from metaflow_blueprints.argo import DataFilter, EventFilters, ExprFilter
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.context import AwsContext
from metaflow_blueprints.aws.identity import SqsConsumer, check_consumer
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import PayloadField, check_payload_key
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, Fn, is_unresolved, provider_module
from metaflow_blueprints.sources.base import Source, as_filters
from metaflow_blueprints.sources.sqs import (
    SqsSourceProps,
    build_sqs_source,
    check_queue_choice,
    claim_queue,
    make_queue,
)

EventName = Literal["INSERT", "MODIFY", "REMOVE"]
_EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")
_ATTRIBUTE = re.compile(r"^[A-Za-z0-9_\-:$ ]{1,255}$")
#: Payload keys the blueprint always sets.
FIXED_KEYS = ("table", "event_name", "sequence_number", "approximate_creation_time")


class DynamoDbToMetaflow(Source):
    """Start every flow with ``@trigger(event=event)`` on a DynamoDB stream record.

    Creates an encrypted SQS queue with a DLQ (unless you bring one), an EventBridge pipe
    from the table's stream to the queue (its own least-privilege role, retry and record
    age limits, the DLQ as its dead-letter target, a filter on the event names), a consumer
    IAM role bound to the EventSource's service account, the Argo SQS EventSource and the
    bridge Sensor. The table's stream must be enabled (``stream_enabled``; any view type
    works for keys; re-enabling a stream changes its ARN and orphans the pipe).

    Payload of the Metaflow event: ``table``, ``event_name`` (``INSERT``/``MODIFY``/
    ``REMOVE``), each key named in ``keys`` (the attribute's value as a string: ``S``,
    ``N`` and ``B`` values), ``sequence_number``, ``approximate_creation_time`` (ISO 8601,
    UTC; both left out when the record lacks them); ``id`` is the record's ``eventID`` and
    ``timestamp`` its creation time.

    :param table_name: an existing table with streams enabled.
    :param event: Metaflow event name, e.g. ``"orders.created"``.
    :param consumer: how the event source authenticates (``SqsConsumer.irsa(...)``, ...).
    :param event_names: stream event names that start flows. Default ``("INSERT",)``.
    :param keys: payload key -> key attribute name, e.g. ``{"order_id": "pk"}``; records
        without the attribute are dropped. Default: none.
    :param stream_arn: the table's stream ARN. Default: read with ``data.aws_dynamodb_table``.
    :param starting_position: ``"LATEST"`` or ``"TRIM_HORIZON"``. Default ``"LATEST"``.
    :param batch_size: records per pipe batch (1-10 for an SQS target). Default 10.
    :param maximum_retry_attempts: pipe retries of a failed batch (0-10000). Default 10.
    :param maximum_record_age_in_seconds: older records go to the DLQ (60-604800).
        Default 3600.
    :param filters: extra sensor filters. Default: none.
    :param pipe_dead_letter_arn: dead-letter queue of the pipe with ``queue_arn``
        (required then). Default: the created or given queue's DLQ.
    :param name: stem of queue, role, pipe, EventSource and Sensor names. Default: from the
        path.

    The queue props are the :class:`~metaflow_blueprints.sources.sqs.QueueOptions` group,
    as for ``S3ToMetaflow``. A bring-your-own ``queue_arn`` must allow the pipe role to send
    and have a DLQ of its own; the pipe's dead-letter target is then
    ``pipe_dead_letter_arn``.

    Attributes: ``queue`` (or None), ``queue_arn``, ``queue_name``, ``pipe``,
    ``pipe_role``, ``pipe_role_policy``, ``pipe_policy_document`` (its policy dict),
    ``stream_arn``, ``table_name``, ``table`` (the data source or None), ``identity``,
    ``role``, ``event_source``, ``sensor``, ``name``.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        table_name: str,
        consumer: SqsConsumer,
        event_names: Sequence[EventName] = ("INSERT",),
        keys: Mapping[str, str] | None = None,
        stream_arn: str | None = None,
        starting_position: Literal["LATEST", "TRIM_HORIZON"] = "LATEST",
        batch_size: int = 10,
        maximum_retry_attempts: int = 10,
        maximum_record_age_in_seconds: int = 3600,
        filters: EventFilters | Sequence[Filter] | None = None,
        pipe_dead_letter_arn: str | None = None,
        **props: Unpack[SqsSourceProps],
    ) -> None:
        super().__init__(scope, id, props)
        event = props["event"]
        # --- validate everything before creating anything --------------------------------
        check_consumer(consumer)
        if not is_unresolved(table_name):
            rules.DYNAMODB_TABLE.check("table_name", table_name)
        names = _check_event_names(event_names)
        key_map = _check_keys(keys)
        if starting_position not in ("LATEST", "TRIM_HORIZON"):
            raise BlueprintError(
                "starting_position", starting_position, "must be 'LATEST' or 'TRIM_HORIZON'."
            )
        rules.PIPE_BATCH_SIZE.check("batch_size", batch_size)
        rules.PIPE_MAXIMUM_RETRY_ATTEMPTS.check("maximum_retry_attempts", maximum_retry_attempts)
        rules.PIPE_MAXIMUM_RECORD_AGE_SECONDS.check(
            "maximum_record_age_in_seconds", maximum_record_age_in_seconds
        )
        if stream_arn is not None and not is_unresolved(stream_arn):
            rules.check("stream_arn", stream_arn, rules.DYNAMODB_STREAM_ARN)
        choice = check_queue_choice(props)
        claim_queue(self, choice)
        queue, queue_arn = choice.queue, choice.queue_arn
        if queue_arn is not None and pipe_dead_letter_arn is None:
            raise BlueprintError(
                "pipe_dead_letter_arn",
                None,
                "is required with queue_arn.",
                "Pass the ARN of a queue that receives batches the pipe could not deliver.",
            )
        if queue_arn is None and pipe_dead_letter_arn is not None:
            raise BlueprintError(
                "pipe_dead_letter_arn",
                pipe_dead_letter_arn,
                "only applies with queue_arn; a created queue's DLQ is used otherwise.",
            )
        if queue is not None and queue.dead_letter_arn is None:
            raise BlueprintError(
                "queue",
                queue.node.path,
                "has no dead-letter queue, which the pipe needs.",
                "Create the EventQueue with dead_letter_queue=True.",
            )
        bridge = self.plan_mapped_bridge(
            _bridge_mapping(table_name, names, key_map), as_filters(filters)
        )

        # --- build --------------------------------------------------------------------
        context = AwsContext.of(self)
        self.table_name = table_name
        self.table = None
        if stream_arn is None:
            self.table = provider_module("aws", "data_aws_dynamodb_table").DataAwsDynamodbTable(
                self, "table", name=table_name
            )
            stream_arn = str(self.table.stream_arn)
        self.stream_arn: str = stream_arn
        target = make_queue(self, choice, self.name)
        self.queue, self.queue_arn, self.queue_name = target.queue, target.arn, target.name
        dead_letter = self.queue.dead_letter_arn if self.queue else pipe_dead_letter_arn
        queue_key = target.kms_key_arn

        pipe_arn = (
            f"arn:{context.partition}:pipes:{context.region}:{context.account_id}:pipe/{self.name}"
        )
        iam_role = provider_module("aws", "iam_role")
        self.pipe_role = iam_role.IamRole(
            self,
            "pipe_role",
            name=f"{self.name}-pipe",
            description=f"EventBridge pipe {self.name}: DynamoDB stream -> SQS.",
            assume_role_policy=policies.render(
                policies.pipe_trust(pipe_arn=pipe_arn, account_id=context.account_id)
            ),
        )
        self.pipe_policy_document = policies.pipe_policy(
            stream_arn=self.stream_arn,
            queue_arn=self.queue_arn,
            dead_letter_arn=dead_letter,
            kms_key_arn=queue_key,
        )
        self.pipe_role_policy = provider_module("aws", "iam_role_policy").IamRolePolicy(
            self,
            "pipe_policy",
            name="stream-to-queue",
            role=self.pipe_role.id,
            policy=policies.render(self.pipe_policy_document),
        )
        depends: list[object] = [self.pipe_role_policy]
        if self.queue is not None:
            self.queue.allow_role(self.pipe_role.arn)
            depends.append(self.queue.queue_policy)
        self.pipe = provider_module("aws", "pipes_pipe").PipesPipe(
            self,
            "pipe",
            name=self.name,
            description=f"DynamoDB {table_name} {'/'.join(names)} -> SQS (Metaflow event {event})",
            role_arn=self.pipe_role.arn,
            source=self.stream_arn,
            target=self.queue_arn,
            desired_state="RUNNING",
            source_parameters={
                "dynamodb_stream_parameters": {
                    "starting_position": starting_position,
                    "batch_size": batch_size,
                    "maximum_retry_attempts": maximum_retry_attempts,
                    "maximum_record_age_in_seconds": maximum_record_age_in_seconds,
                    "dead_letter_config": {"arn": dead_letter},
                },
                "filter_criteria": {
                    "filter": [{"pattern": json.dumps(pipe_filter_pattern(names))}]
                },
            },
            depends_on=depends,
        )

        parts = build_sqs_source(
            self, metaflow=props["metaflow"], consumer=consumer, target=target, bridge=bridge
        )
        self.identity, self.role = parts.identity, parts.identity.role
        self.event_source, self.sensor = parts.event_source, parts.sensor


def pipe_filter_pattern(event_names: Sequence[str]) -> dict[str, object]:
    """The pipe's filter: only these stream event names reach the queue."""
    return {"eventName": list(event_names)}


def _check_event_names(event_names: Sequence[str]) -> list[str]:
    if isinstance(event_names, str) or not isinstance(event_names, Sequence) or not event_names:
        raise BlueprintError(
            "event_names", event_names, "must be a non-empty list.", "e.g. ['INSERT']."
        )
    for item in event_names:
        if item not in _EVENT_NAMES:
            raise BlueprintError(
                "event_names", item, "is not a stream event name.", "Use INSERT, MODIFY or REMOVE."
            )
    return list(dict.fromkeys(event_names))


def _check_keys(keys: Mapping[str, str] | None) -> dict[str, str]:
    if keys is None:
        return {}
    if not isinstance(keys, Mapping):
        raise BlueprintError("keys", keys, "must map payload keys to key attribute names.")
    for payload_key, attribute in keys.items():
        check_payload_key("keys", payload_key)
        if payload_key in FIXED_KEYS:
            raise BlueprintError(
                "keys",
                payload_key,
                "is a payload key the blueprint sets itself.",
                f"Pick a name other than {', '.join(FIXED_KEYS)}.",
            )
        if not isinstance(attribute, str) or not _ATTRIBUTE.fullmatch(attribute):
            raise BlueprintError(
                f"keys[{payload_key!r}]",
                attribute,
                "is not a supported key attribute name.",
                "Use the attribute name as in the table's key schema (letters, digits, '_', "
                "'-', ':', '$' or spaces; no dots).",
            )
    return dict(keys)


def _bridge_mapping(
    table_name: str, event_names: Sequence[str], keys: Mapping[str, str]
) -> tuple[dict[str, PayloadField], PayloadField, str, EventFilters]:
    def path(p: str, *, required: bool = True) -> PayloadField:
        if required:
            return PayloadField.path(p, root=["body"])
        return PayloadField.path(p, root=["body"], default=None)

    # The table name from the record's eventSourceARN (.../table/<name>/stream/...), else
    # the configured name.
    arn = path("eventSourceARN", required=False).jq
    literal = (
        str(Fn.jsonencode(table_name)) if is_unresolved(table_name) else json.dumps(table_name)
    )
    table = PayloadField(f'((try ({arn} | split("/")[1]) catch null) // {literal})')
    created = path("dynamodb.ApproximateCreationDateTime", required=False).jq
    fields: dict[str, PayloadField] = {
        "table": table,
        "event_name": path("eventName"),
        "sequence_number": path("dynamodb.SequenceNumber", required=False),
        "approximate_creation_time": PayloadField(f"(try ({created} | floor | todate) catch null)"),
    }
    for payload_key, attribute in keys.items():
        raw = PayloadField.path(attribute, root=["body", "dynamodb", "Keys"])
        fields[payload_key] = PayloadField(
            f'({raw.jq} | if type == "object" then (.S // .N // .B) else . end)', raw.requires
        )
    id_field = path("eventID")
    timestamp = f"((try ({created} | floor) catch null) // (now | floor))"
    filters = EventFilters.all(
        [
            DataFilter.at("body.eventSource").string().equals("aws:dynamodb"),
            DataFilter.at("body.eventName").string().equals(*event_names),
            _table_filter(table_name),
        ]
    )
    return fields, id_field, timestamp, filters


def _table_filter(table_name: str) -> Filter:
    """Only this table's records: ``table`` comes from the record's ``eventSourceARN``.

    A Terraform token is compared in a govaluate string literal filled in at plan time
    (table names are letters, digits, '_', '-' and '.').
    """
    if is_unresolved(table_name):
        return ExprFilter(f"table == '{table_name}'", {"table": "metaflow.table"})
    return DataFilter.at("metaflow.table").string().equals(table_name)
