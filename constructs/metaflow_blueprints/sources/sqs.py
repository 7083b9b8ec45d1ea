"""Shared by the AWS blueprints: the event queue choice, the consumer identity, the SQS
EventSource and the bridge Sensor."""

from __future__ import annotations

import typing
from dataclasses import dataclass

from metaflow_blueprints.argo import EventSource, SqsEvent
from metaflow_blueprints.aws.context import AwsContext
from metaflow_blueprints.aws.identity import SqsConsumer, SqsConsumerIdentity, check_consumer
from metaflow_blueprints.aws.queue import EventQueue, QueueSettings, check_queue_args
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.k8s.manifests import ArgoEventSource, ArgoSensor
from metaflow_blueprints.metaflow.bridge import MANAGED_BY, Bridge
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.props import group_defaults, group_values, pick, prop_group
from metaflow_blueprints.runtime import (
    Construct,
    Fn,
    LibraryConstruct,
    is_unresolved,
)
from metaflow_blueprints.sources.base import SourceProps, add_bridge_sensor

_CLAIMS_ID = "mfb_queue_consumers"


class QueueConsumers(LibraryConstruct):
    """Which blueprint consumes each queue of a stack (one per stack, see :meth:`of`).

    Two SQS EventSources on one queue would each receive a share of its messages, so a
    message meant for one blueprint's flow could reach the other's sensor and be lost.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.claims: dict[str, str] = {}

    @staticmethod
    def of(scope: Construct) -> QueueConsumers:
        return QueueConsumers.of_stack(scope, _CLAIMS_ID)


def claim_queue(scope: Construct, choice: QueueChoice) -> None:
    """Refuse a queue (EventQueue or literal ARN) another blueprint already consumes."""
    if choice.queue is not None:
        key, prop, shown = f"queue:{choice.queue.node.path}", "queue", choice.queue.node.path
    elif choice.queue_arn is not None and not is_unresolved(choice.queue_arn):
        key, prop, shown = f"arn:{choice.queue_arn}", "queue_arn", choice.queue_arn
    else:
        return
    claims = QueueConsumers.of(scope).claims
    owner = claims.get(key)
    if owner is not None:
        raise BlueprintError(
            prop,
            shown,
            f"is already consumed by {owner}: two EventSources on one queue split its "
            "messages between them, so events would reach the wrong sensor or none.",
            "Give each blueprint its own queue (the default), or route with one blueprint.",
        )
    claims[key] = scope.node.path


@prop_group(
    {"queue": None, "queue_arn": None, "queue_kms_key_arn": None, **group_defaults(QueueSettings)}
)
class QueueOptions(QueueSettings, total=False):
    """The queue props of the SQS blueprints (a prop group: flat keyword arguments): bring
    a queue, or the settings of the one the blueprint creates (:class:`QueueSettings`).

    :param queue: bring your own :class:`EventQueue` (one blueprint per queue: a queue
        another blueprint consumes is refused); the blueprint adds its producer to the queue
        policy. Not with ``queue_arn``. Default: the blueprint creates a queue (with a DLQ).
    :param queue_arn: an existing queue you manage (its policy and key must already allow
        the producer). Not with ``queue``. Default: the blueprint creates a queue.
    :param queue_kms_key_arn: the customer-managed key of ``queue_arn`` (for the consumer's
        ``kms:Decrypt``). Default: none (SSE-SQS or unencrypted).
    """

    queue: EventQueue | None
    queue_arn: str | None
    queue_kms_key_arn: str | None


@prop_group(group_defaults(SourceProps, QueueOptions))
class SqsSourceProps(SourceProps, QueueOptions, total=False):
    """The shared props of the blueprints that read an SQS queue (``S3ToMetaflow``,
    ``DynamoDbToMetaflow``): :class:`~metaflow_blueprints.sources.base.SourceProps` and
    :class:`QueueOptions` (a prop group: flat keyword arguments)."""


@dataclass(frozen=True)
class QueueChoice:
    """Validated queue props: a queue to create, an EventQueue, or an existing queue ARN."""

    queue: EventQueue | None
    queue_arn: str | None
    queue_kms_key_arn: str | None
    settings: QueueSettings


def check_queue_choice(options: QueueOptions) -> QueueChoice:
    """Validate the bring-your-own queue props (object or ARN, never both); ``options`` may
    be a group built on :class:`QueueOptions` (its other members are left out)."""
    values = group_values(QueueOptions, pick(QueueOptions, options))
    queue, queue_arn = values["queue"], values["queue_arn"]
    queue_kms_key_arn = values["queue_kms_key_arn"]
    settings = typing.cast(QueueSettings, pick(QueueSettings, values))
    encryption, kms_key_arn = values["encryption"], values["kms_key_arn"]
    if queue is not None and queue_arn is not None:
        raise BlueprintError(
            "queue/queue_arn",
            (queue.node.path if isinstance(queue, EventQueue) else queue, queue_arn),
            "give one or neither: an EventQueue, or the ARN of an existing queue.",
        )
    if queue is not None and not isinstance(queue, EventQueue):
        raise BlueprintError("queue", queue, "must be an EventQueue (or use queue_arn=).")
    if (queue is not None or queue_arn is not None) and (
        encryption != "sqs_managed" or kms_key_arn is not None
    ):
        raise BlueprintError(
            "encryption/kms_key_arn",
            (encryption, kms_key_arn),
            "only apply to a queue the blueprint creates.",
            "Configure encryption on your EventQueue, or drop these props.",
        )
    alarm, actions = values["dead_letter_alarm"], values["dead_letter_alarm_actions"]
    if (queue is not None or queue_arn is not None) and (alarm is not True or actions):
        raise BlueprintError(
            "dead_letter_alarm" if alarm is not True else "dead_letter_alarm_actions",
            alarm if alarm is not True else actions,
            "only applies to a queue the blueprint creates.",
            "An EventQueue has these props itself; alarm on your own queue_arn's DLQ yourself.",
        )
    if queue_arn is not None and not is_unresolved(queue_arn):
        _queue_arn_fields(queue_arn)
    if queue_kms_key_arn is not None and queue_arn is None:
        raise BlueprintError(
            "queue_kms_key_arn",
            queue_kms_key_arn,
            "only applies with queue_arn (an existing queue).",
        )
    if queue is None and queue_arn is None:
        check_queue_args(name=None, dead_letter_queue=True, **settings)
    return QueueChoice(queue, queue_arn, queue_kms_key_arn, settings)


@dataclass(frozen=True)
class QueueTarget:
    """The queue a blueprint's EventSource reads: ``queue`` (given or created; None for
    ``queue_arn``), its ARN and name, and the KMS key the consumer decrypts with."""

    queue: EventQueue | None
    arn: str
    name: str
    kms_key_arn: str | None


def make_queue(scope: Construct, choice: QueueChoice, name: str) -> QueueTarget:
    """The blueprint's queue: the given one, a new one (construct id ``queue``), or the ARN."""
    queue = choice.queue
    if queue is None and choice.queue_arn is None:
        queue = EventQueue(scope, "queue", name=name, **choice.settings)
    if queue is not None:
        return QueueTarget(queue, queue.arn, queue.name, queue.kms_key_arn)
    assert choice.queue_arn is not None
    arn = choice.queue_arn
    return QueueTarget(None, arn, queue_name_of(arn), choice.queue_kms_key_arn)


def queue_location(scope: Construct, arn: str, *, external: bool) -> tuple[str, str | None]:
    """Region and account the EventSource looks the queue up in.

    A queue the stack creates lives in the stack's region and the pod's account. An
    existing queue (``queue_arn``) is looked up where its ARN says
    (``arn:<partition>:sqs:<region>:<account>:<name>``): ``region`` and ``queueAccountId``.
    """
    if not external:
        return AwsContext.of(scope).region, None
    if is_unresolved(arn):
        parts = Fn.split(":", arn)
        return str(Fn.element(parts, 3)), str(Fn.element(parts, 4))
    fields = _queue_arn_fields(arn)
    return fields[3], fields[4]


def _queue_arn_fields(arn: str) -> list[str]:
    fields = arn.split(":")
    if (len(fields) != 6 or fields[0] != "arn" or fields[2] != "sqs" or not fields[3]
            or not (fields[4].isdigit() and len(fields[4]) == 12) or not fields[5]):
        raise BlueprintError(
            "queue_arn", arn,
            "is not an SQS queue ARN (arn:<partition>:sqs:<region>:<12-digit account>:<name>).",
        )
    return fields


def queue_name_of(arn: str) -> str:
    """The queue name (last ARN field), also for a Terraform token."""
    if is_unresolved(arn):
        return str(Fn.element(Fn.split(":", arn), 5))
    return arn.rsplit(":", 1)[-1]


@dataclass
class SqsSourceParts:
    identity: SqsConsumerIdentity
    event_source: ArgoEventSource
    sensor: ArgoSensor


def build_sqs_source(
    scope: Construct,
    *,
    metaflow: MetaflowEvents,
    consumer: SqsConsumer,
    target: QueueTarget,
    bridge: Bridge,
) -> SqsSourceParts:
    """Identity (ids ``identity``), EventSource (``event_source``) and bridge (``sensor``),
    named after the bridge's EventSource.

    With the blueprint's own queue, the consumer role is pinned on it
    (:meth:`EventQueue.allow_consumer`); an existing one (``queue_arn``) is read where its
    ARN says."""
    check_consumer(consumer)
    namespace = metaflow.namespace
    name, event_name = bridge.event_source_name, bridge.event_name
    identity = SqsConsumerIdentity(
        scope,
        "identity",
        consumer=consumer,
        name=name,
        namespace=namespace,
        queue_arn=target.arn,
        kms_key_arn=target.kms_key_arn,
        labels=MANAGED_BY,
    )
    region, account = queue_location(scope, target.arn, external=target.queue is None)
    if target.queue is not None and identity.role is not None:
        target.queue.allow_consumer(identity.role.arn)
    sqs = SqsEvent(
        queue=target.name,
        region=region,
        queue_account_id=account,
        json_body=True,
        dlq=True,
        access_key=consumer.access_key,
        secret_key=consumer.secret_key,
    )
    depends = []
    if identity.service_account is not None:
        depends.append(identity.service_account.service_account)
    if identity.role_policy is not None:
        depends.append(identity.role_policy)
    if identity.pod_identity_association is not None:
        depends.append(identity.pod_identity_association)
    event_source = ArgoEventSource(
        scope,
        "event_source",
        event_source=EventSource(
            name=name,
            namespace=namespace,
            events={event_name: sqs},
            event_bus_name=metaflow.target.event_bus,
            service_account_name=identity.service_account_name,
            labels=MANAGED_BY,
        ),
        depends_on=depends,
    )
    sensor = add_bridge_sensor(scope, metaflow=metaflow, bridge=bridge, event_source=event_source)
    return SqsSourceParts(identity, event_source, sensor)
