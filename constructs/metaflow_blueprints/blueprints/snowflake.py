"""``SnowflakeToMetaflow``: committed changes to a Snowflake table start Metaflow flows.

Snowflake cannot call an arbitrary webhook (webhook integrations target Slack, Teams and
PagerDuty: https://docs.snowflake.com/en/sql-reference/sql/create-notification-integration-webhooks).
The route is an outbound queue notification integration:

    table ─► stream ─► triggered task ─► procedure ─► SYSTEM$SEND_SNOWFLAKE_NOTIFICATION
      ─► SNS topic ─► SQS queue (raw delivery) ─► Argo SQS EventSource ─► bridge   (cloud="aws")
      ─► Pub/Sub topic ─► subscription ─► Argo Pub/Sub EventSource ─► bridge       (cloud="gcp")

The message is the JSON object the procedure builds (``snowflake/sql.py``)::

    {"source": "snowflake", "version": 1, "batch_id": "<uuid>", "database": "...",
     "schema": "...", "table": "...", "window_start": <epoch s or null>,
     "window_end": <epoch s>, "summary": {"inserted": n, "updated": n, "deleted": n,
     "changes": n[, "column": "...", "min": v, "max": v]}}

Snowflake does not document the exact body it puts on the queue, so the bridge accepts the
object bare, as a JSON string, inside an SNS envelope or as ``{"application/json": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Unpack

from metaflow_blueprints.argo import DataFilter, EventFilters
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.context import AwsContext
from metaflow_blueprints.aws.identity import SqsConsumer, check_consumer
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import grant_publisher
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.metaflow.bridge import Bridge
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.props import checked, group_defaults, pick, prop_group
from metaflow_blueprints.runtime import (
    Construct,
    Fn,
    is_unresolved,
    provider_module,
)
from metaflow_blueprints.snowflake import ChangeNotifierSql, check_identifier
from metaflow_blueprints.snowflake.identifiers import token_precondition
from metaflow_blueprints.sources.base import Source, SourceProps, as_filters
from metaflow_blueprints.sources.pubsub import PubSubConsumer, PubSubConsumerProps, PubSubOptions
from metaflow_blueprints.sources.sqs import (
    QueueChoice,
    QueueOptions,
    build_sqs_source,
    check_queue_choice,
    make_queue,
)

Cloud = Literal["aws", "gcp"]
#: The provider's preview features this blueprint uses: configure the Snowflake provider
#: with ``preview_features_enabled=PREVIEW_FEATURES`` (or a superset).
PREVIEW_FEATURES = (
    "snowflake_notification_integration_resource",
    "snowflake_procedure_sql_resource",
)
#: AWS-managed SNS key: encrypts at rest with no key policy to manage (see ``topic_kms_key_arn``).
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
#: Payload keys the blueprint sets (besides the Metaflow envelope).
PAYLOAD_KEYS = (
    "database",
    "schema",
    "table",
    "batch_id",
    "inserted",
    "updated",
    "deleted",
    "changes",
    "window_start",
    "window_end",
)
RANGE_KEYS = ("range_column", "range_min", "range_max")
_UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def snowflake_name(stem: str, suffix: str) -> str:
    """An upper-case Snowflake identifier from a blueprint name: ``MFB_<STEM>_<SUFFIX>``."""
    if is_unresolved(stem):
        return f"MFB_{Fn.upper(Fn.replace(stem, '-', '_'))}_{suffix}"
    return f"MFB_{stem}_{suffix}".upper().replace("-", "_")


@prop_group(group_defaults(SourceProps, QueueOptions, PubSubOptions))
class SnowflakeProps(SourceProps, QueueOptions, PubSubOptions, total=False):
    """``SnowflakeToMetaflow``'s shared props, flat keyword arguments:
    :class:`~metaflow_blueprints.sources.base.SourceProps` and its cloud props,
    :class:`QueueOptions` (``cloud="aws"``) and :class:`PubSubOptions` (``cloud="gcp"``)."""


class SnowflakeToMetaflow(Source):
    """Start every flow with ``@trigger(event=event)`` when rows of a table change.

    Snowflake side (Snowflake provider; enable :data:`PREVIEW_FEATURES`): a standard stream
    on the table, a Snowflake Scripting procedure that consumes it into a batch table
    (``MFB_<NAME>_BATCHES``, created by the procedure) and sends one notification per
    non-empty batch, a triggered task (``WHEN SYSTEM$STREAM_HAS_DATA``, no schedule) on
    ``warehouse`` that calls it, and an outbound queue notification integration.

    ``cloud="aws"``: an SNS topic (encrypted; TLS only; only Snowflake's role may publish),
    the IAM role Snowflake assumes (trusting the integration's IAM user with its external
    id; ``sns:Publish`` on the topic only), an encrypted SQS queue with a DLQ subscribed
    with raw message delivery, the consumer identity, the SQS EventSource and the bridge.
    ``cloud="gcp"``: a Pub/Sub topic with ``roles/pubsub.publisher`` for the integration's
    service account only, then the Pub/Sub subscription, identity, EventSource and bridge
    of ``PubSubToMetaflow``.

    Payload of the Metaflow event: ``database``, ``schema``, ``table``, ``batch_id``,
    ``inserted``, ``updated``, ``deleted``, ``changes`` (their sum), ``window_start`` /
    ``window_end`` (ISO 8601 UTC; ``window_start`` is left out for the first batch), and with
    ``range_column`` also ``range_column``, ``range_min``, ``range_max``; ``id`` is the
    ``batch_id`` (the same for every delivery of a notification) and ``timestamp`` the
    window end. Messages without a batch id, with zero changes, or for another table start
    nothing.

    :param event: Metaflow event name, e.g. ``"snowflake.orders.changed"``.
    :param database: database of the table to watch, as Snowflake stores the name
        (unquoted names are upper-case); letters, digits, ``_`` and ``$`` only.
    :param schema: schema of the table, spelled the same way.
    :param table: the table to watch, spelled the same way.
    :param warehouse: the warehouse the task runs on (the provider 2.11 task resource has no
        ``TARGET_COMPLETION_INTERVAL``, so serverless triggered tasks are not offered).
    :param cloud: ``"aws"`` (Snowflake account on AWS; SNS) or ``"gcp"`` (account on GCP;
        Pub/Sub). Default ``"aws"``.
    :param consumer: AWS only, required there: how the SQS EventSource authenticates.
        Default: none (refused with ``cloud="aws"``).
    :param project: GCP only, required there: project of the topic, subscription and
        account. Default: none (refused with ``cloud="gcp"``).
    :param range_column: a column whose min and max over the inserted/updated rows go into
        the summary (e.g. ``UPDATED_AT``). Default: none.
    :param owner_role: an account role to grant ``EXECUTE TASK`` on the account and
        ``USAGE`` on ``warehouse`` (the role that owns the task, normally the role the
        provider connects as; Terraform's role must be allowed to grant both). Default:
        none (grant them yourself, docs/snowflake.md).
    :param minimum_trigger_interval_seconds: ``USER_TASK_MINIMUM_TRIGGER_INTERVAL_IN_SECONDS``
        of the task (changes arriving faster are batched into one run). Default: unset
        (Snowflake's account/default value).
    :param topic_kms_key_arn: AWS: a customer-managed key for the topic; the publisher role
        gets ``kms:GenerateDataKey``/``kms:Decrypt`` on it (its key policy must allow this
        account). Default: the AWS-managed ``alias/aws/sns``.
    :param filters: extra sensor filters on the event data. Default: none.
    :param name: stem of every created name. Default: from the construct path.

    AWS: the queue props are the :class:`~metaflow_blueprints.sources.sqs.QueueOptions`
    group, as for ``S3ToMetaflow`` (a ``queue_arn`` queue must already allow this topic to
    send). GCP: the subscription, identity and KMS props are the
    :class:`~metaflow_blueprints.sources.pubsub.PubSubOptions` group, as for
    ``PubSubToMetaflow``. A member of the other cloud's group is refused.

    Attributes: ``sql`` (:class:`ChangeNotifierSql`), ``stream``, ``procedure``, ``task``,
    ``integration``, ``grants``; AWS: ``topic``, ``topic_policy``, ``snowflake_role``,
    ``snowflake_role_policy``, ``subscription``, ``queue`` (or None), ``queue_arn``,
    ``queue_name``, ``identity``, ``role``; GCP: ``topic``, ``publisher``, ``subscription``,
    ``identity``; both: ``cloud``, ``event_source``, ``sensor``, ``name``.
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        database: str,
        schema: str,
        table: str,
        warehouse: str,
        cloud: Cloud = "aws",
        consumer: SqsConsumer | None = None,
        project: str | None = None,
        range_column: str | None = None,
        owner_role: str | None = None,
        minimum_trigger_interval_seconds: int | None = None,
        topic_kms_key_arn: str | None = None,
        filters: EventFilters | Sequence[Filter] | None = None,
        **props: Unpack[SnowflakeProps],
    ) -> None:
        super().__init__(scope, id, props)
        metaflow = props["metaflow"]
        # --- validate everything before creating anything --------------------------------
        check_identifier("warehouse", warehouse)
        if owner_role is not None:
            check_identifier("owner_role", owner_role)
        if minimum_trigger_interval_seconds is not None and (
            isinstance(minimum_trigger_interval_seconds, bool)
            or not isinstance(minimum_trigger_interval_seconds, int)
            or minimum_trigger_interval_seconds < 1
        ):
            raise BlueprintError(
                "minimum_trigger_interval_seconds",
                minimum_trigger_interval_seconds,
                "must be a positive integer (seconds) or None; Snowflake enforces its own range.",
            )
        aws_only = {
            "consumer": consumer,
            "topic_kms_key_arn": topic_kms_key_arn,
            **_changed(QueueOptions, props),
        }
        gcp_only = {"project": project, **_changed(PubSubOptions, props)}
        if cloud == "aws":
            _refuse_others(gcp_only, "cloud='gcp'")
            if consumer is None:
                raise BlueprintError(
                    "consumer",
                    None,
                    "is required with cloud='aws'.",
                    "Pass SqsConsumer.irsa(...), .pod_identity(...) or .static_keys(...).",
                )
            check_consumer(consumer)
            if topic_kms_key_arn is not None and not is_unresolved(topic_kms_key_arn) and (
                not isinstance(topic_kms_key_arn, str)
                or not topic_kms_key_arn.startswith("arn:")
                or ":kms:" not in topic_kms_key_arn
            ):
                raise BlueprintError(
                    "topic_kms_key_arn",
                    topic_kms_key_arn,
                    "must be the ARN of a KMS key (arn:...:kms:...).",
                    "Omit it to use the AWS-managed alias/aws/sns key.",
                )
            choice = check_queue_choice(props)
        elif cloud == "gcp":
            _refuse_others(aws_only, "cloud='aws'")
            if project is None:
                raise BlueprintError(
                    "project", None, "is required with cloud='gcp'.", "Pass the GCP project id."
                )
        else:
            raise BlueprintError("cloud", cloud, "must be 'aws' or 'gcp'.")
        check_identifier("name", snowflake_name(self.name, "BATCHES"))
        self.sql = ChangeNotifierSql(
            database=check_identifier("database", database),
            schema=check_identifier("schema", schema),
            table=check_identifier("table", table),
            stream=snowflake_name(self.name, "STREAM"),
            batches=snowflake_name(self.name, "BATCHES"),
            procedure=snowflake_name(self.name, "NOTIFY"),
            integration=snowflake_name(self.name, "QUEUE"),
            range_column=range_column,
        )
        pubsub_props: PubSubConsumerProps | None = None
        if cloud == "gcp":
            assert project is not None
            pubsub_props = PubSubConsumerProps.of(project, props)
            pubsub_props.check(self.name, None)
        bridge = self.plan_mapped_bridge(bridge_mapping(self.sql), as_filters(filters))

        # --- build --------------------------------------------------------------------
        self.cloud = cloud
        if cloud == "aws":
            assert consumer is not None
            self._build_aws(metaflow, consumer, choice, topic_kms_key_arn, bridge)
            # The first notification needs the publish permissions and the subscription.
            publisher_ready: list[Any] = [
                self.snowflake_role_policy,
                self.topic_policy,
                self.subscription,
            ]
        else:
            assert pubsub_props is not None
            self._build_gcp(metaflow, pubsub_props, bridge)
            publisher_ready = [self.publisher, self.subscription.subscription]
        self._build_snowflake(
            warehouse=warehouse,
            owner_role=owner_role,
            minimum_trigger_interval_seconds=minimum_trigger_interval_seconds,
            publisher_ready=publisher_ready,
        )

    # --- cloud side -------------------------------------------------------------------

    def _build_aws(
        self,
        metaflow: MetaflowEvents,
        consumer: SqsConsumer,
        choice: QueueChoice,
        topic_kms_key_arn: str | None,
        bridge: Bridge,
    ) -> None:
        context = AwsContext.of(self)
        role_name = f"{self.name}-snowflake"
        # The role ARN is spelled out (not a reference) so the integration can name it before
        # the role exists: the role's trust needs the integration's user and external id.
        role_arn = f"arn:{context.partition}:iam::{context.account_id}:role/{role_name}"
        self.topic = provider_module("aws", "sns_topic").SnsTopic(
            self,
            "topic",
            name=self.name,
            kms_master_key_id=topic_kms_key_arn or AWS_MANAGED_SNS_KEY,
        )
        self.integration = self._integration(
            "AWS_SNS", "SNS", aws_sns_topic_arn=self.topic.arn, aws_sns_role_arn=role_arn
        )
        self.snowflake_role = provider_module("aws", "iam_role").IamRole(
            self,
            "snowflake_role",
            name=role_name,
            description=f"Snowflake integration {self.sql.integration} publishes to SNS.",
            assume_role_policy=policies.render(
                policies.external_user_trust(
                    user_arn=self.integration.aws_sns_iam_user_arn,
                    external_id=self.integration.aws_sns_external_id,
                )
            ),
        )
        self.snowflake_role_policy = provider_module("aws", "iam_role_policy").IamRolePolicy(
            self,
            "snowflake_policy",
            name="publish-to-topic",
            role=self.snowflake_role.id,
            policy=policies.render(policies.publish_policy(self.topic.arn, topic_kms_key_arn)),
        )
        self.topic_policy = provider_module("aws", "sns_topic_policy").SnsTopicPolicy(
            self,
            "topic_policy",
            arn=self.topic.arn,
            policy=policies.render(
                policies.topic_policy(self.topic.arn, publisher_role_arn=self.snowflake_role.arn)
            ),
        )
        target = make_queue(self, choice, self.name)
        self.queue, self.queue_arn, self.queue_name = target.queue, target.arn, target.name
        depends: list[Any] = []
        if self.queue is not None:
            self.queue.allow_service(
                "sns.amazonaws.com", source_arn=self.topic.arn, source_account=context.account_id
            )
            depends.append(self.queue.queue_policy)
            if self.queue.kms_key is not None:
                depends.append(self.queue.kms_key)
        subscription = provider_module("aws", "sns_topic_subscription").SnsTopicSubscription
        self.subscription: Any = subscription(
            self,
            "subscription",
            topic_arn=self.topic.arn,
            protocol="sqs",
            endpoint=self.queue_arn,
            raw_message_delivery=True,
            depends_on=depends or None,
        )
        parts = build_sqs_source(
            self, metaflow=metaflow, consumer=consumer, target=target, bridge=bridge
        )
        self.identity: Any = parts.identity
        self.role = parts.identity.role
        self.event_source, self.sensor = parts.event_source, parts.sensor

    def _integration(self, provider: str, label: str, **target: str) -> Any:
        """The outbound queue notification integration to the topic given in ``target``."""
        return provider_module("snowflake", "notification_integration").NotificationIntegration(
            self,
            "integration",
            name=self.sql.integration,
            type="QUEUE",
            direction="OUTBOUND",
            notification_provider=provider,
            enabled=True,
            comment=f"metaflow-blueprints: changes of {self._table_label()} -> {label}",
            **target,
        )

    def _build_gcp(
        self, metaflow: MetaflowEvents, props: PubSubConsumerProps, bridge: Bridge
    ) -> None:
        self.topic = props.create_topic(self, self.name)
        self.integration = self._integration(
            "GCP_PUBSUB", "Pub/Sub", gcp_pubsub_topic_name=self.topic.id
        )
        self.publisher = grant_publisher(
            self,
            "publisher",
            project=props.project,
            topic=self.topic.name,
            member=f"serviceAccount:{self.integration.gcp_pubsub_service_account}",
        )
        consumer = PubSubConsumer(
            self, metaflow=metaflow, bridge=bridge, topic_id=self.topic.id, props=props,
            json_body=True,
        )
        self.subscription, self.identity = consumer.subscription, consumer.identity
        self.event_source, self.sensor = consumer.event_source, consumer.sensor

    # --- Snowflake side ---------------------------------------------------------------

    def _table_label(self) -> str:
        return f"{self.sql.database}.{self.sql.schema}.{self.sql.table}"

    def _build_snowflake(
        self,
        *,
        warehouse: str,
        owner_role: str | None,
        minimum_trigger_interval_seconds: int | None,
        publisher_ready: list[Any],
    ) -> None:
        sql = self.sql
        self.stream = provider_module("snowflake", "stream_on_table").StreamOnTable(
            self,
            "stream",
            database=sql.database,
            schema=sql.schema,
            name=sql.stream,
            table=sql.qualified_table,
            append_only="false",
            comment=f"metaflow-blueprints: changes of {self._table_label()}",
        )
        self.procedure = provider_module("snowflake", "procedure_sql").ProcedureSql(
            self,
            "procedure",
            database=sql.database,
            schema=sql.schema,
            name=sql.procedure,
            return_type="VARCHAR",
            execute_as="OWNER",
            procedure_definition=sql.procedure_body(),
            comment="metaflow-blueprints: consume the stream, notify once per batch",
            depends_on=[self.stream, self.integration],
        )
        self.grants: list[Any] = []
        if owner_role is not None:
            grant = provider_module(
                "snowflake", "grant_privileges_to_account_role"
            ).GrantPrivilegesToAccountRole
            self.grants = [
                grant(
                    self,
                    "execute_task",
                    account_role_name=owner_role,
                    privileges=["EXECUTE TASK"],
                    on_account=True,
                ),
                grant(
                    self,
                    "warehouse_usage",
                    account_role_name=owner_role,
                    privileges=["USAGE"],
                    on_account_object={"object_type": "WAREHOUSE", "object_name": warehouse},
                ),
            ]
        optional: dict[str, Any] = {}
        if minimum_trigger_interval_seconds is not None:
            optional["user_task_minimum_trigger_interval_in_seconds"] = (
                minimum_trigger_interval_seconds
            )
        self.task = provider_module("snowflake", "task").Task(
            self,
            "task",
            database=sql.database,
            schema=sql.schema,
            name=snowflake_name(self.name, "TASK"),
            warehouse=warehouse,
            when=sql.task_when(),
            sql_statement=sql.task_statement(),
            started=True,
            comment=f"metaflow-blueprints: notify Metaflow of changes of {self._table_label()}",
            depends_on=[self.procedure, *self.grants, *publisher_ready],
            **optional,
        )
        # Token names are checked by Terraform at plan time, before any SQL is created.
        checks = [
            token_precondition(field, value)
            for field, value in (
                ("database", sql.database),
                ("schema", sql.schema),
                ("table", sql.table),
                ("warehouse", warehouse),
                ("range_column", sql.range_column),
                ("name", sql.batches),
            )
            if isinstance(value, str) and is_unresolved(value)
        ]
        if checks:
            for resource in (self.stream, self.procedure, self.task):
                resource.add_override("lifecycle.precondition", checks)


def _changed(group: type, options: Mapping[str, Any]) -> dict[str, Any]:
    """The members of ``group`` given with a value other than their default."""
    defaults = group_defaults(group)
    return {k: v for k, v in pick(group, options).items() if v != defaults[k]}


def _refuse_others(props: dict[str, Any], other: str) -> None:
    for field, value in props.items():
        if value is not None:
            raise BlueprintError(field, value, f"only applies with {other}.")


# --- the bridge ----------------------------------------------------------------------------

_MESSAGE = "(.body | mfb_json_message)"


def _at(*path: str, kind: str | None = None) -> str:
    getter = f"({_MESSAGE} | try getpath({json.dumps(list(path))}) catch null)"
    if kind is None:
        return getter
    return f'({getter} | if type == "{kind}" then . else null end)'


def bridge_mapping(
    sql: ChangeNotifierSql,
) -> tuple[dict[str, PayloadField], PayloadField, str, EventFilters]:
    """Payload fields, id, timestamp jq and filters over the (unwrapped) message."""
    iso = '(if type == "number" then (floor | todate) else null end)'
    fields: dict[str, PayloadField] = {
        "database": PayloadField(_at("database", kind="string")),
        "schema": PayloadField(_at("schema", kind="string")),
        "table": PayloadField(_at("table", kind="string")),
        "batch_id": PayloadField(_at("batch_id", kind="string")),
        "inserted": PayloadField(_at("summary", "inserted", kind="number")),
        "updated": PayloadField(_at("summary", "updated", kind="number")),
        "deleted": PayloadField(_at("summary", "deleted", kind="number")),
        "changes": PayloadField(_at("summary", "changes", kind="number")),
        "window_start": PayloadField(f"({_at('window_start')} | {iso})"),
        "window_end": PayloadField(f"({_at('window_end')} | {iso})"),
    }
    if sql.range_column is not None:
        fields["range_column"] = PayloadField(_at("summary", "column", kind="string"))
        fields["range_min"] = PayloadField(_at("summary", "min"))
        fields["range_max"] = PayloadField(_at("summary", "max"))
    id_field = fields["batch_id"]
    end = _at("window_end", kind="number")
    timestamp = f"(({end} | if . == null then null else floor end) // (now | floor))"
    checks: list[Filter] = [
        DataFilter.at("metaflow.batch_id").string().matches(_UUID),
        DataFilter.at("metaflow.changes").number().gt(0),
    ]
    # Only messages about this table (a Terraform-token name is left to the dedicated topic:
    # filter values become regular expressions, which a token cannot be escaped into).
    for key in ("database", "schema", "table"):
        value = getattr(sql, key)
        if not is_unresolved(value):
            checks.append(DataFilter.at(f"metaflow.{key}").string().equals(value))
    filters = EventFilters.all(checks)
    return fields, id_field, timestamp, filters
