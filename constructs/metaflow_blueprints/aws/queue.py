"""``EventQueue``: the SQS queue an event source reads, hardened like the best peers do."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal, TypedDict, Unpack

from metaflow_blueprints import rules
from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.context import AwsContext
from metaflow_blueprints.aws.policies import ServiceProducer
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.props import checked, group_values, prop_group
from metaflow_blueprints.runtime import Construct, LibraryConstruct, is_unresolved, provider_module

Encryption = Literal["sqs_managed", "kms", "none"]
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,76}$")
#: S3 (and EventBridge) cannot use the AWS-managed SQS key (aws/aws-cdk#14370).
AWS_MANAGED_SQS_KEY = "alias/aws/sqs"


def check_pinning(pin: object, admins: object) -> tuple[bool, tuple[str, ...]]:
    """``pin_consumers`` is a bool; ``consumer_admin_principals`` a list of IAM ARNs."""
    if not isinstance(pin, bool):
        raise BlueprintError("pin_consumers", pin, "must be True or False.")
    if isinstance(admins, (str, bytes)) or not isinstance(admins, Sequence):
        raise BlueprintError(
            "consumer_admin_principals", admins, "must be a list of IAM principal ARNs."
        )
    for arn in admins:
        if not isinstance(arn, str) or (
            not is_unresolved(arn) and not re.fullmatch(r"arn:[a-z-]+:(iam|sts)::\d{12}:.+", arn)
        ):
            raise BlueprintError(
                "consumer_admin_principals", arn, "is not an IAM role/user ARN."
            )
    return pin, tuple(admins)


#: The dead-letter alarm: any visible message in the DLQ (CloudWatch reports SQS metrics
#: every minute; the maximum over 5 minutes catches a message moved and redriven between).
DLQ_ALARM_METRIC = "ApproximateNumberOfMessagesVisible"
DLQ_ALARM_PERIOD = 300


@prop_group(
    {
        "encryption": "sqs_managed",
        "kms_key_arn": None,
        "max_receive_count": 5,
        "dead_letter_alarm": True,
        "dead_letter_alarm_actions": (),
    }
)
class QueueSettings(TypedDict, total=False):
    """Encryption and dead-lettering of a queue :class:`EventQueue` creates (a prop group:
    flat keyword arguments of ``EventQueue`` and of the blueprints that create one).

    :param encryption: ``"sqs_managed"`` (SSE-SQS, works with S3, EventBridge and Pipes),
        ``"kms"`` (a customer-managed key: ``kms_key_arn``, else a new key with rotation
        whose key policy grants each producer service for its source only) or ``"none"``
        (opt-out, not recommended). Never the AWS-managed ``alias/aws/sqs`` key, which S3
        cannot use. Default ``"sqs_managed"``.
    :param kms_key_arn: bring your own customer-managed key (with ``encryption="kms"``);
        its key policy must then grant the producers yourself. Default: a new key when
        ``encryption="kms"``.
    :param max_receive_count: receives before a message moves to the dead-letter queue,
        1-1000. Default 5.
    :param dead_letter_alarm: create a CloudWatch alarm (``aws_cloudwatch_metric_alarm``
        ``<name>-dlq-messages``) that fires as soon as the dead-letter queue holds a message
        (``ApproximateNumberOfMessagesVisible`` > 0, maximum over 5 minutes; no data counts
        as OK). ``False`` creates none. Default ``True``.
    :param dead_letter_alarm_actions: ARNs the alarm notifies when it fires (SNS topics,
        Lambda functions, ...). Default: none (the alarm is visible in CloudWatch only).
    """

    encryption: Encryption
    kms_key_arn: str | None
    max_receive_count: int
    dead_letter_alarm: bool
    dead_letter_alarm_actions: Sequence[str]


def check_queue_args(
    *, name: str | None, dead_letter_queue: bool, **settings: Unpack[QueueSettings]
) -> None:
    """Validate EventQueue props (blueprints call this before creating anything)."""
    values = group_values(QueueSettings, settings)
    encryption, kms_key_arn = values["encryption"], values["kms_key_arn"]
    max_receive_count = values["max_receive_count"]
    if name is not None and not is_unresolved(name) and not _QUEUE_NAME.fullmatch(name):
        raise BlueprintError(
            "queue_name",
            name,
            "is not a valid SQS queue name.",
            "Use 1-76 letters, digits, '-' or '_' ('-dlq' is appended for the dead-letter queue).",
        )
    if encryption not in ("sqs_managed", "kms", "none"):
        raise BlueprintError(
            "encryption", encryption, "must be 'sqs_managed' (default), 'kms' or 'none'."
        )
    if kms_key_arn is not None:
        if encryption != "kms":
            raise BlueprintError(
                "kms_key_arn",
                kms_key_arn,
                "is only used with encryption='kms'.",
                "Set encryption='kms' or drop kms_key_arn.",
            )
        if not is_unresolved(kms_key_arn) and (
            AWS_MANAGED_SQS_KEY in kms_key_arn or not kms_key_arn.startswith("arn:")
        ):
            raise BlueprintError(
                "kms_key_arn",
                kms_key_arn,
                "must be the ARN of a customer-managed KMS key.",
                "The AWS-managed key alias/aws/sqs cannot be used by S3 or EventBridge "
                "(they cannot be granted kms:GenerateDataKey on it); omit kms_key_arn to "
                "create a key, or use encryption='sqs_managed'.",
            )
    if dead_letter_queue:
        rules.MAX_RECEIVE_COUNT.check("max_receive_count", max_receive_count)
    check_alarm(values["dead_letter_alarm"], values["dead_letter_alarm_actions"], dead_letter_queue)


def check_alarm(alarm: bool, actions: Sequence[str], dead_letter_queue: bool = True) -> None:
    """``dead_letter_alarm_actions`` are alarm action ARNs, for an alarm that exists."""
    if not isinstance(alarm, bool):
        raise BlueprintError("dead_letter_alarm", alarm, "must be True or False.")
    rules.ALARM_ACTIONS.check("dead_letter_alarm_actions", actions)
    if actions and not (alarm and dead_letter_queue):
        raise BlueprintError(
            "dead_letter_alarm_actions",
            list(actions),
            "need the dead-letter alarm (dead_letter_alarm=True and a dead-letter queue).",
        )


class EventQueue(LibraryConstruct):
    """An SQS queue for event delivery, with a dead-letter queue and a strict queue policy.

    :param name: queue name. Default: derived from the construct path.
    :param dead_letter_queue: create a DLQ (same encryption) receiving messages after
        ``max_receive_count`` failed receives. Default True.
    :param enforce_tls: deny any request without TLS on both queues. Default True.
    :param pin_consumers: once a consumer role is known (:meth:`allow_consumer`, which the
        blueprints call), deny ``sqs:ReceiveMessage``/``sqs:DeleteMessage`` on the queue to
        every other principal. Default True; False leaves it to IAM.
    :param consumer_admin_principals: IAM principal ARNs still allowed to receive/delete on
        a pinned queue (an operator role, a replay tool). Default: none.
    :param visibility_timeout_seconds: Default 120 (what the Argo SQS source asks for).
    :param message_retention_seconds: Default 345600 (4 days); the DLQ keeps messages 14
        days.

    Encryption and ``max_receive_count`` are the :class:`QueueSettings` group.

    Producers are added with :meth:`allow_service` / :meth:`allow_role`; nothing may send
    to the queue until then. Attributes: ``queue``, ``dead_letter_queue`` (or None),
    ``redrive_policy``, ``redrive_allow_policy``, ``queue_policy``, ``dlq_policy``,
    ``kms_key`` (a created key, or None), ``arn``, ``name``, ``url``, ``kms_key_arn``
    (or None), ``dead_letter_arn`` (or None), ``dead_letter_alarm``
    (``aws_cloudwatch_metric_alarm`` or None), ``enforce_tls``, ``pin_consumers``,
    ``consumer_admins`` (the props as given), ``policy_document`` (the queue policy dict).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str | None = None,
        dead_letter_queue: bool = True,
        enforce_tls: bool = True,
        pin_consumers: bool = True,
        consumer_admin_principals: Sequence[str] = (),
        visibility_timeout_seconds: int = 120,
        message_retention_seconds: int = 345600,
        **settings: Unpack[QueueSettings],
    ) -> None:
        super().__init__(scope, id)
        check_queue_args(name=name, dead_letter_queue=dead_letter_queue, **settings)
        values = group_values(QueueSettings, settings)
        encryption, kms_key_arn = values["encryption"], values["kms_key_arn"]
        if name is None:
            from metaflow_blueprints.argo import derive_name

            name = derive_name(*self.node.path.split("/"), max_length=76)
        sqs = provider_module("aws", "sqs_queue")
        self._context = AwsContext.of(self)
        self._producers: list[ServiceProducer] = []
        self._roles: list[str] = []
        self._consumers: list[str] = []
        self.pin_consumers, self.consumer_admins = check_pinning(
            pin_consumers, consumer_admin_principals
        )
        self.enforce_tls = enforce_tls
        self.kms_key = None
        self.kms_key_arn: str | None = kms_key_arn
        if encryption == "kms" and kms_key_arn is None:
            kms = provider_module("aws", "kms_key")
            self.kms_key = kms.KmsKey(
                self,
                "key",
                description=f"Encrypts SQS queue {name} and its dead-letter queue.",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=self._key_policy_json(),
            )
            self.kms_key_arn = self.kms_key.arn
        encryption_args: dict[str, object] = {}
        if encryption == "sqs_managed":
            encryption_args = {"sqs_managed_sse_enabled": True}
        elif encryption == "kms":
            encryption_args = {
                "kms_master_key_id": self.kms_key_arn,
                "kms_data_key_reuse_period_seconds": 300,
            }
        else:
            encryption_args = {"sqs_managed_sse_enabled": False}

        self.name = name
        self.queue = sqs.SqsQueue(
            self,
            "queue",
            name=name,
            visibility_timeout_seconds=visibility_timeout_seconds,
            message_retention_seconds=message_retention_seconds,
            **encryption_args,
        )
        self.arn: str = self.queue.arn
        self.url: str = self.queue.url
        self.dead_letter_queue = None
        self.dead_letter_arn: str | None = None
        self.redrive_policy = None
        self.redrive_allow_policy = None
        self.dlq_policy = None
        self.dead_letter_alarm = None
        if dead_letter_queue:
            self.dead_letter_queue = sqs.SqsQueue(
                self,
                "dlq",
                name=f"{name}-dlq",
                message_retention_seconds=1209600,
                **encryption_args,
            )
            self.dead_letter_arn = self.dead_letter_queue.arn
            # Separate resources avoid the queue <-> DLQ dependency cycle
            # (hashicorp/terraform-provider-aws#22865).
            self.redrive_policy = provider_module(
                "aws", "sqs_queue_redrive_policy"
            ).SqsQueueRedrivePolicy(
                self,
                "redrive",
                queue_url=self.queue.url,
                redrive_policy=json.dumps(
                    {
                        "deadLetterTargetArn": self.dead_letter_arn,
                        "maxReceiveCount": values["max_receive_count"],
                    }
                ),
            )
            self.redrive_allow_policy = provider_module(
                "aws", "sqs_queue_redrive_allow_policy"
            ).SqsQueueRedriveAllowPolicy(
                self,
                "redrive_allow",
                queue_url=self.dead_letter_queue.url,
                redrive_allow_policy=json.dumps(
                    {"redrivePermission": "byQueue", "sourceQueueArns": [self.arn]}
                ),
            )
            if values["dead_letter_alarm"]:
                self.dead_letter_alarm = self._dead_letter_alarm(
                    values["max_receive_count"], values["dead_letter_alarm_actions"]
                )
            if enforce_tls:
                self.dlq_policy = provider_module("aws", "sqs_queue_policy").SqsQueuePolicy(
                    self,
                    "dlq_policy",
                    queue_url=self.dead_letter_queue.url,
                    policy=policies.render(policies.queue_policy(self.dead_letter_arn)),
                )
        self.queue_policy = provider_module("aws", "sqs_queue_policy").SqsQueuePolicy(
            self, "policy", queue_url=self.queue.url, policy=self._queue_policy_json()
        )

    def _dead_letter_alarm(self, max_receive_count: int, actions: Sequence[str]) -> Any:
        assert self.dead_letter_queue is not None
        alarm = provider_module("aws", "cloudwatch_metric_alarm")
        return alarm.CloudwatchMetricAlarm(
            self,
            "dlq_alarm",
            alarm_name=f"{self.name}-dlq-messages",
            alarm_description=(
                f"Messages in the dead-letter queue {self.name}-dlq: events that failed "
                f"{max_receive_count} receives from {self.name}. Inspect and redrive them."
            ),
            namespace="AWS/SQS",
            metric_name=DLQ_ALARM_METRIC,
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            period=DLQ_ALARM_PERIOD,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=list(actions) or None,
        )

    # --- producers ---------------------------------------------------------------------

    @property
    def policy_document(self) -> policies.Policy:
        return policies.queue_policy(
            self.arn,
            producers=self._producers,
            producer_roles=self._roles,
            enforce_tls=self.enforce_tls,
            consumers=self._consumers,
            consumer_admins=self.consumer_admins,
        )

    def allow_service(
        self, service: str, *, source_arn: str, source_account: str | None = None
    ) -> None:
        """Let ``service`` (e.g. ``s3.amazonaws.com``) send, for ``source_arn`` only.

        ``source_account`` defaults to this stack's account. A created KMS key grants the
        same service ``kms:GenerateDataKey``/``kms:Decrypt`` under the same conditions.
        """
        account = source_account or self._context.account_id
        self._producers.append(ServiceProducer(service, source_arn, account))
        self.queue_policy.policy = self._queue_policy_json()
        if self.kms_key is not None:
            self.kms_key.policy = self._key_policy_json()

    def allow_role(self, role_arn: str) -> None:
        """Let an IAM role of this account send (e.g. an EventBridge pipe's role)."""
        self._roles.append(role_arn)
        self.queue_policy.policy = self._queue_policy_json()

    def allow_consumer(self, role_arn: str) -> None:
        """Record the role that consumes the queue; with ``pin_consumers`` only it (and
        ``consumer_admin_principals``) may receive or delete messages."""
        if self.pin_consumers:
            self._consumers.append(role_arn)
            self.queue_policy.policy = self._queue_policy_json()

    def _queue_policy_json(self) -> str:
        return policies.render(self.policy_document)

    def _key_policy_json(self) -> str:
        return policies.render(
            policies.key_policy(
                account_id=self._context.account_id,
                partition=self._context.partition,
                producers=self._producers,
            )
        )
