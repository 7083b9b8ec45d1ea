"""The module spec of every exported blueprint: one entry per blueprint in :data:`MODULES`.

To add a blueprint: write a ``_<name>()`` function returning its :class:`ModuleSpec` (reuse
:func:`metaflow_inputs` and :func:`metaflow_events`) and list it in ``_FACTORIES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from metaflow_blueprints.argo.eventsource import WEBHOOK_ENDPOINT
from metaflow_blueprints.argo.names import NAMESPACE_NAME, OBJECT_NAME
from metaflow_blueprints.blueprints.dbt_cloud import NUMERIC_ID as DBT_NUMERIC
from metaflow_blueprints.blueprints.dynamodb import TABLE_NAME as DYNAMODB_TABLE
from metaflow_blueprints.blueprints.gcs import GCS_BUCKET
from metaflow_blueprints.blueprints.s3 import BUCKET_NAME as S3_BUCKET
from metaflow_blueprints.export.spec import Input, ModuleSpec, Output, Validation
from metaflow_blueprints.gcp.common import ACCOUNT_ID as GCP_ACCOUNT_ID
from metaflow_blueprints.gcp.common import PROJECT_ID as GCP_PROJECT_ID
from metaflow_blueprints.gcp.common import RESOURCE_ID as GCP_RESOURCE_ID
from metaflow_blueprints.ingress.ingress import LAST_LABEL_HAS_LETTER
from metaflow_blueprints.ingress.ingress import SUBDOMAIN as INGRESS_SUBDOMAIN
from metaflow_blueprints.metaflow.bridge import default_webhook_url
from metaflow_blueprints.metaflow.contract import BRIDGE_SENSOR_PREFIX, EVENT_NAME
from metaflow_blueprints.runtime import Fn
from metaflow_blueprints.snowflake.identifiers import IDENTIFIER as SNOWFLAKE_IDENTIFIER

#: Kubernetes namespace (DNS-1123 label), as ``MetaflowEvents`` checks it.
NAMESPACE = NAMESPACE_NAME.pattern
#: ``GcsToMetaflow``'s bucket check (an inline ``fullmatch`` there), anchored for Terraform.
#: Longest ``name`` a module accepts: the bridge sensor is ``mfb--<name>`` (47 at most). The
#: construct hashes longer stems; Terraform cannot reproduce that hash, so modules refuse them.
NAME_MAX = 47 - len(BRIDGE_SENSOR_PREFIX)

OBJECT_NAME_RULE = Validation(
    regex=OBJECT_NAME.pattern,
    message="must be 1-47 characters: lower-case letters, digits and '-', starting with a "
    "letter and ending with a letter or digit.",
)


def name_input(
    max_length: int = NAME_MAX,
    stem_of: str = "the EventSource, Sensor and Secret names",
    extra: tuple[Validation, ...] = (),
) -> Input:
    """The ``name`` input: every object name of the module is ``name`` or derived from it."""
    return Input(
        "name",
        description=f"Stem of {stem_of}; unique per namespace. At most {max_length} "
        f"characters (the bridge sensor is `{BRIDGE_SENSOR_PREFIX}<name>`).",
        validations=(
            Validation(
                regex=OBJECT_NAME.pattern,
                max_length=max_length,
                message=f"must be 1-{max_length} characters: lower-case letters, digits and "
                "'-', starting with a letter and ending with a letter or digit.",
            ),
            *extra,
        ),
        derived="${var.name}",
        example="orders-ready",
    )


NAME_INPUT = name_input()
EVENT_INPUT = Input(
    "event",
    validations=(
        Validation(
            regex=EVENT_NAME.pattern,
            message="is not a valid Metaflow event name: use letters, digits, '_', '.' and "
            "'-' (e.g. 'data.updated').",
        ),
    ),
    # The Argo event key is derived in Python; one fixed key per EventSource is enough.
    derived="metaflow-event",
    example="orders.ready",
)


def metaflow_inputs() -> tuple[Input, ...]:
    """Inputs describing the cluster's Metaflow setup (``MetaflowEvents`` props)."""
    return (
        Input(
            "namespace",
            default="default",
            description="Namespace of Metaflow's Argo Events setup (EventBus, webhook "
            "EventSource); the blueprint's objects go there too.",
            validations=(
                Validation(regex=NAMESPACE, message="is not a valid Kubernetes namespace."),
            ),
        ),
        Input(
            "event_bus",
            default="default",
            description="Argo Events EventBus (METAFLOW_ARGO_EVENTS_EVENT_BUS).",
            validations=(OBJECT_NAME_RULE,),
        ),
        Input(
            "webhook_url",
            default=None,
            description="In-cluster URL of Metaflow's webhook EventSource. Default (null): "
            "http://argo-events-webhook-eventsource-svc.<namespace>:12000/metaflow-event.",
            validations=(
                Validation(regex="^https?://", message="must be an http:// or https:// URL."),
            ),
        ),
    )


def metaflow_events(stack: Any, v: Mapping[str, Any]) -> Any:
    """The ``MetaflowEvents`` construct built from :func:`metaflow_inputs`."""
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    url = Fn.coalesce([v["webhook_url"], default_webhook_url(v["namespace"])])
    return MetaflowEvents(
        stack, "metaflow", namespace=v["namespace"], event_bus=v["event_bus"], webhook_url=url
    )


def common_outputs() -> tuple[Output, ...]:
    """EventSource and Sensor names, which every blueprint has."""
    return (
        Output("event_source_name", lambda b: b.event_source.name, "Name of the EventSource."),
        Output("sensor_name", lambda b: b.sensor.name, "Name of the bridge Sensor."),
    )


def _webhook() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow

        return WebhookToMetaflow(
            stack,
            "webhook",
            metaflow=metaflow_events(stack, v),
            event=v["event"],
            name=v["name"],
            endpoint=Fn.coalesce([v["endpoint"], "/" + v["name"]]),
        )

    return ModuleSpec(
        name="webhook",
        blueprint="metaflow_blueprints.blueprints.webhook:WebhookToMetaflow",
        build=build,
        summary="An authenticated JSON webhook inside the cluster starts every flow with "
        "`@trigger(event=var.event)`.",
        inputs=(
            NAME_INPUT,
            EVENT_INPUT,
            Input(
                "endpoint",
                default=None,
                description="URL path of the webhook. Default (null): `/<name>`.",
                validations=(
                    Validation(
                        regex=WEBHOOK_ENDPOINT.pattern,
                        forbidden=("/health",),
                        message="must be a URL path starting with '/' (letters, digits, "
                        "'._~-/'), not /health.",
                    ),
                ),
            ),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            Output("url", lambda b: b.url, "In-cluster URL of the webhook."),
            Output(
                "token",
                lambda b: b.token.value,
                "Bearer token callers must send (Authorization: Bearer <token>).",
                sensitive=True,
            ),
            Output(
                "token_secret_name",
                lambda b: b.token.secret.name,
                "Secret (key `token`) holding the bearer token.",
            ),
        ),
        notes=(
            "The request payload mapping, filters, port (12000), method (POST) and bearer "
            "authentication are fixed in this module; use the construct for other choices.",
            "No Ingress: the webhook is reachable in-cluster only. Put an Ingress in front "
            "of `<name>-eventsource-svc` port 12000 to expose it.",
        ),
    )


# --- AWS -------------------------------------------------------------------------------------

#: ``S3ToMetaflow``'s bucket check: its regex, and no ``..`` (a second rule, same outcome).
S3_BUCKET_RULES = (
    Validation(
        regex=S3_BUCKET.pattern,
        message="is not a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-' "
        "(the name, not an ARN or s3:// URL).",
    ),
    Validation(regex=r"^[^.]*(\.[^.]+)*\.?$", message="must not contain '..'."),
)
#: Characters the EventBridge pattern cannot take from a Terraform value: the value goes
#: into a JSON string and an EventBridge wildcard unescaped (Python escapes literals only).
KEY_AFFIX = r"^[^*\x22\x5c\x00-\x1f]*$"  # \x22 is '"', \x5c is '\' (hex: no escaping)


def irsa_inputs() -> tuple[Input, ...]:
    """``SqsConsumer.irsa`` props: the cluster's IAM OIDC provider and its issuer URL."""
    return (
        Input(
            "oidc_provider_arn",
            description="ARN of the EKS cluster's IAM OIDC provider "
            "(arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>); "
            "the event source authenticates with IRSA.",
            validations=(
                Validation(regex=":oidc-provider/", message="is not an IAM OIDC provider ARN."),
            ),
            example="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com"
            "/id/EXAMPLE",
        ),
        Input(
            "oidc_issuer",
            description="The cluster's OIDC issuer URL (`identity[0].oidc[0].issuer` of "
            "`aws_eks_cluster`), with or without `https://`.",
            validations=(Validation(regex="/", message="is not an OIDC issuer URL."),),
            example="https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
        ),
    )


def irsa(v: Mapping[str, Any]) -> Any:
    """The IRSA consumer; the trust policy needs the issuer's host, as Python would strip it."""
    from metaflow_blueprints.aws.identity import SqsConsumer

    return SqsConsumer.irsa(
        oidc_provider_arn=v["oidc_provider_arn"],
        issuer=Fn.trimprefix(v["oidc_issuer"], "https://"),
    )


def queue_outputs() -> tuple[Output, ...]:
    return (
        Output("queue_arn", lambda b: b.queue_arn, "ARN of the SQS queue the EventSource reads."),
        Output("queue_url", lambda b: b.queue.url, "URL of the SQS queue."),
        Output(
            "dead_letter_queue_arn",
            lambda b: b.queue.dead_letter_arn,
            "ARN of the queue's dead-letter queue.",
        ),
        Output(
            "role_arn",
            lambda b: b.role.arn,
            "ARN of the IAM role the EventSource's service account assumes (IRSA).",
        ),
    )


def dead_letter_alarm_inputs() -> tuple[Input, ...]:
    """The created queue's dead-letter alarm (``QueueSettings``): on/off and its actions."""
    return (
        Input("dead_letter_alarm", type="bool", default=True, nullable=False),
        Input("dead_letter_alarm_actions", type="list(string)", default=[], nullable=False),
    )


def dead_letter_alarm(blueprint: Any) -> Any:
    """The alarm exists only while ``var.dead_letter_alarm`` is true (a bool cannot switch a
    construct in Python: the count does)."""
    blueprint.queue.dead_letter_alarm.add_override("count", "${var.dead_letter_alarm ? 1 : 0}")
    return blueprint


AWS_NOTES = (
    "The consumer identity is IRSA (`SqsConsumer.irsa`); EKS Pod Identity or static keys "
    "need the construct.",
    "The queue is created by the module (SSE-SQS, dead-letter queue after 5 receives); a "
    "customer-managed KMS key or your own queue (`queue`, `queue_arn`) need the construct.",
)


def _s3() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.s3 import S3ToMetaflow

        blueprint = S3ToMetaflow(
            stack,
            "s3",
            metaflow=metaflow_events(stack, v),
            bucket_name=v["bucket_name"],
            event=v["event"],
            consumer=irsa(v),
            prefix=v["prefix"],
            suffix=v["suffix"],
            delivery="eventbridge",
            name=v["name"],
            dead_letter_alarm_actions=v["dead_letter_alarm_actions"],
        )
        dead_letter_alarm(blueprint)
        notification = blueprint.notification
        # The construct's id hashes the bucket token, whose number depends on the process.
        notification.override_logical_id("bucket_eventbridge")
        notification.add_override("count", "${var.enable_bucket_eventbridge ? 1 : 0}")
        return blueprint

    return ModuleSpec(
        name="s3",
        blueprint="metaflow_blueprints.blueprints.s3:S3ToMetaflow",
        build=build,
        summary="New objects in an existing S3 bucket (S3 → EventBridge → SQS) start every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name_input(stem_of="the queue, IAM role, EventBridge rule, EventSource and Sensor "
                       "names"),
            EVENT_INPUT,
            Input(
                "bucket_name",
                validations=S3_BUCKET_RULES,
                example="raw-landing",
            ),
            *irsa_inputs(),
            Input(
                "prefix",
                default="",
                nullable=False,
                description="Only keys starting with this prefix (EventBridge rule). Default "
                '`""`: every key.',
                validations=(
                    Validation(
                        regex=KEY_AFFIX,
                        message="must not contain '*', '\"', '\\' or control characters "
                        "(they would change the EventBridge pattern).",
                    ),
                ),
            ),
            Input(
                "suffix",
                default="",
                nullable=False,
                description="Only keys ending with this suffix (EventBridge rule). Default "
                '`""`: every key.',
                validations=(
                    Validation(
                        regex=KEY_AFFIX,
                        message="must not contain '*', '\"', '\\' or control characters "
                        "(they would change the EventBridge pattern).",
                    ),
                ),
            ),
            Input(
                "enable_bucket_eventbridge",
                type="bool",
                default=True,
                description="Create the bucket's `aws_s3_bucket_notification` with "
                "`eventbridge = true`. It owns the bucket's whole notification configuration "
                "(other queue, topic or Lambda notifications are removed) and destroying it "
                "turns EventBridge off: set `false` when EventBridge is already enabled on the "
                "bucket or another module instance on the same bucket manages it.",
            ),
            *dead_letter_alarm_inputs(),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            *queue_outputs(),
            Output("rule_arn", lambda b: b.rule.arn, "ARN of the EventBridge rule."),
        ),
        notes=(
            "Delivery is `eventbridge` (S3 → EventBridge rule → SQS): S3 keeps one "
            "notification configuration per bucket, which the construct merges across the "
            "blueprints of one stack; separate module instances cannot merge, but their "
            "EventBridge rules may overlap freely. Costs EventBridge events; "
            "`delivery=\"notification\"` needs the construct.",
            "Event types are fixed to `s3:ObjectCreated:*`; prefix and suffix are filtered by "
            "the EventBridge rule only (the Sensor does not repeat them).",
            *AWS_NOTES,
            "Payload mapping and extra sensor filters are fixed; use the construct for others.",
        ),
    )


def _dynamodb() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow

        blueprint = DynamoDbToMetaflow(
            stack,
            "dynamodb",
            metaflow=metaflow_events(stack, v),
            table_name=v["table_name"],
            stream_arn=v["stream_arn"],
            event=v["event"],
            consumer=irsa(v),
            name=v["name"],
            dead_letter_alarm_actions=v["dead_letter_alarm_actions"],
        )
        return dead_letter_alarm(blueprint)

    return ModuleSpec(
        name="dynamodb",
        blueprint="metaflow_blueprints.blueprints.dynamodb:DynamoDbToMetaflow",
        build=build,
        summary="New items in a DynamoDB table (stream → EventBridge pipe → SQS) start every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name_input(stem_of="the queue, pipe, IAM roles, EventSource and Sensor names"),
            EVENT_INPUT,
            Input(
                "table_name",
                validations=(
                    Validation(
                        regex=DYNAMODB_TABLE.pattern,
                        message="is not a DynamoDB table name: 3-255 letters, digits, '_', '-' "
                        "or '.' (the name, not the ARN).",
                    ),
                ),
                example="orders",
            ),
            Input(
                "stream_arn",
                description="The table's stream ARN (`stream_arn` of `aws_dynamodb_table`; the "
                "stream must be enabled).",
                validations=(
                    Validation(regex=":dynamodb:", message="is not a DynamoDB stream ARN."),
                    Validation(regex="/stream/", message="is not a DynamoDB stream ARN."),
                ),
                example="arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/"
                "2025-01-01T00:00:00.000",
            ),
            *irsa_inputs(),
            *dead_letter_alarm_inputs(),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            *queue_outputs(),
            Output("pipe_arn", lambda b: b.pipe.arn, "ARN of the EventBridge pipe."),
            Output("pipe_role_arn", lambda b: b.pipe_role.arn, "ARN of the pipe's IAM role."),
        ),
        notes=(
            "Only `INSERT` records start flows; the pipe starts at `LATEST` with batch size "
            "10, 10 retries and records up to 1 hour old. Other `event_names` and pipe "
            "settings need the construct (they shape the pipe filter and the Sensor).",
            "The payload carries no item keys (`keys=` maps key attributes in the Sensor's "
            "jq transform, built in Python): `table`, `event_name`, `sequence_number`, "
            "`approximate_creation_time`, and the record's `eventID` as `id`.",
            "`stream_arn` is required: the module reads nothing from the table at plan time.",
            *AWS_NOTES,
        ),
    )


SNOWFLAKE_IDENTIFIER_RULE = Validation(
    regex=SNOWFLAKE_IDENTIFIER.pattern,
    message="is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', "
    "starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case).",
)


def _snowflake_identifier(name: str, description: str, example: str) -> Input:
    return Input(
        name, description=description, validations=(SNOWFLAKE_IDENTIFIER_RULE,), example=example
    )


def _snowflake() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.snowflake import SnowflakeToMetaflow

        blueprint = SnowflakeToMetaflow(
            stack,
            "snowflake",
            metaflow=metaflow_events(stack, v),
            event=v["event"],
            database=v["database"],
            schema=v["schema"],
            table=v["table"],
            warehouse=v["warehouse"],
            consumer=irsa(v),
            name=v["name"],
            dead_letter_alarm_actions=v["dead_letter_alarm_actions"],
        )
        return dead_letter_alarm(blueprint)

    return ModuleSpec(
        name="snowflake",
        blueprint="metaflow_blueprints.blueprints.snowflake:SnowflakeToMetaflow",
        build=build,
        summary="Committed changes to a Snowflake table (stream → triggered task → SNS → SQS) "
        "start every flow with `@trigger(event=var.event)`.",
        inputs=(
            name_input(stem_of="the Snowflake objects, SNS topic, queue, IAM roles, "
                       "EventSource and Sensor names"),
            EVENT_INPUT,
            _snowflake_identifier("database", "Database of the watched table.", "ANALYTICS"),
            _snowflake_identifier("schema", "Schema of the watched table.", "SALES"),
            _snowflake_identifier("table", "The watched table.", "ORDERS"),
            _snowflake_identifier(
                "warehouse", "Warehouse the triggered task runs on.", "MFB_NOTIFY_WH"
            ),
            *irsa_inputs(),
            *dead_letter_alarm_inputs(),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            *queue_outputs(),
            Output(
                "topic_arn", lambda b: b.topic.arn, "ARN of the SNS topic Snowflake publishes to."
            ),
            Output(
                "snowflake_role_arn",
                lambda b: b.snowflake_role.arn,
                "ARN of the IAM role Snowflake assumes to publish.",
            ),
            Output(
                "integration_name",
                lambda b: b.integration.name,
                "Name of the Snowflake notification integration.",
            ),
            Output("task_name", lambda b: b.task.name, "Name of the Snowflake triggered task."),
        ),
        notes=(
            "Configure the Snowflake provider (in the calling configuration) with "
            "`preview_features_enabled = [\"snowflake_notification_integration_resource\", "
            "\"snowflake_procedure_sql_resource\"]`; its role must be allowed to create the "
            "stream, procedure, task and integration and to execute tasks (docs/snowflake.md).",
            "AWS route only (an account hosted on AWS); the GCP route (Pub/Sub), `range_column`, "
            "`owner_role` grants, a customer-managed topic key and the task's trigger interval "
            "need the construct.",
            "The Sensor checks the batch id and a non-zero change count; it does not compare "
            "the message's database/schema/table with the inputs (the topic is the module's "
            "own). Each name is also checked by a `lifecycle.precondition` on the SQL resources.",
            *AWS_NOTES,
        ),
    )


# --- GCP -------------------------------------------------------------------------------------

#: Service-account ids are ``mfb-<name>`` (6-30 characters) and a created topic is ``<name>``
#: (Pub/Sub ids: at least 3 characters, not starting with ``goog``).
GCP_NAME_MAX = 30 - len("mfb-")
GCP_NAME_EXTRA = (
    Validation(
        regex=r"^.{3,}$",
        message="must be at least 3 characters (a Pub/Sub topic is named after it).",
    ),
    Validation(
        regex=r"^([^g]|g[^o]|go[^o]|goo[^g]|goo$)",
        message="must not start with 'goog' (reserved by Pub/Sub).",
    ),
)
#: A Pub/Sub id not starting with ``goog`` in any case (``check_resource_id``).
NOT_GOOG = r"^([^Gg]|[Gg]([^Oo]|$)|[Gg][Oo]([^Oo]|$)|[Gg][Oo][Oo]([^Gg]|$))"
PROJECT_RULE = Validation(
    regex=GCP_PROJECT_ID.pattern,
    message="is not a GCP project id: 6-30 lower-case letters, digits or '-', starting with "
    "a letter (the id, not the name or number).",
)


def gcp_inputs() -> tuple[Input, ...]:
    """Project, subscription and identity inputs shared by the Pub/Sub and GCS modules."""
    return (
        Input("project", validations=(PROJECT_RULE,), example="acme-ml-prod"),
        Input(
            "subscription_id",
            default=None,
            description="Id of the created subscription (the dead-letter topic and its "
            "subscription add `-dlq`). Default (null): `mfb-<name>`.",
            validations=(
                Validation(
                    regex=GCP_RESOURCE_ID.pattern,
                    message="is not a Pub/Sub id: 3-255 letters, digits and '-_.~+%', "
                    "starting with a letter.",
                ),
                Validation(regex=NOT_GOOG, message="must not start with 'goog'."),
            ),
        ),
        Input(
            "service_account_id",
            default=None,
            description="Id of the Google service account the EventSource runs as. Default "
            "(null): `mfb-<name>`.",
            validations=(
                Validation(
                    regex=GCP_ACCOUNT_ID.pattern,
                    message="is not a service account id: 6-30 lower-case letters, digits and "
                    "'-', starting with a letter and ending with a letter or digit.",
                ),
            ),
        ),
        Input(
            "workload_identity_pool",
            default=None,
            description="The GKE cluster's Workload Identity pool. Default (null): "
            "`<project>.svc.id.goog` (set it when the cluster runs in another project).",
        ),
    )


def dead_letter_alert_inputs() -> tuple[Input, ...]:
    """The subscription's dead-letter alert policy (``SubscriptionSettings``)."""
    return (
        Input("dead_letter_alert", type="bool", default=True, nullable=False),
        Input(
            "dead_letter_notification_channels",
            type="list(string)",
            default=[],
            nullable=False,
        ),
    )


def dead_letter_alert(blueprint: Any) -> Any:
    """The alert policy exists only while ``var.dead_letter_alert`` is true."""
    policy = blueprint.subscription.dead_letter_alert
    policy.add_override("count", "${var.dead_letter_alert ? 1 : 0}")
    return blueprint


def gcp_props(v: Mapping[str, Any]) -> dict[str, Any]:
    """The construct's own defaults, written as Terraform expressions over the inputs."""
    return {
        "dead_letter_notification_channels": v["dead_letter_notification_channels"],
        "project": v["project"],
        "subscription_id": Fn.coalesce([v["subscription_id"], "mfb-" + v["name"]]),
        "service_account_id": Fn.coalesce([v["service_account_id"], "mfb-" + v["name"]]),
        "workload_identity_pool": Fn.coalesce(
            [v["workload_identity_pool"], v["project"] + ".svc.id.goog"]
        ),
        "name": v["name"],
    }


def gcp_outputs() -> tuple[Output, ...]:
    return (
        Output(
            "subscription_id",
            lambda b: b.subscription.subscription.id,
            "Full id of the subscription the EventSource pulls (projects/P/subscriptions/S).",
        ),
        Output(
            "dead_letter_topic_id",
            lambda b: b.subscription.dead_letter_topic.id,
            "Full id of the dead-letter topic.",
        ),
        Output(
            "service_account_email",
            lambda b: b.identity.email,
            "Email of the Google service account the EventSource runs as.",
        ),
    )


GCP_NOTES = (
    "Subscription settings are the construct's defaults: ack deadline 60 s, retention 7 "
    "days, backoff 10-600 s, dead-lettering after 5 attempts; the project number is read "
    "with `data.google_project`; topics use Google-managed encryption (`kms_key_name` "
    "needs the construct).",
    f"`name` is 3-{GCP_NAME_MAX} characters (the service account id is `mfb-<name>`, at most "
    "30); the construct would shorten longer names with a hash.",
)


def _pubsub() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow

        return dead_letter_alert(
            PubSubToMetaflow(
                stack,
                "pubsub",
                metaflow=metaflow_events(stack, v),
                event=v["event"],
                topic_name=v["topic_name"],
                **gcp_props(v),
            )
        )

    return ModuleSpec(
        name="pubsub",
        blueprint="metaflow_blueprints.blueprints.pubsub:PubSubToMetaflow",
        build=build,
        summary="Every message on an existing Pub/Sub topic starts every flow with "
        "`@trigger(event=var.event)`.",
        inputs=(
            name_input(
                GCP_NAME_MAX,
                "the subscription, service account, EventSource and Sensor names",
                GCP_NAME_EXTRA,
            ),
            EVENT_INPUT,
            *gcp_inputs()[:1],
            Input(
                "topic_name",
                description="The existing topic: its id in `project`, or "
                "`projects/P/topics/T`.",
                validations=(
                    Validation(
                        regex=f"^(projects/{GCP_PROJECT_ID.pattern[1:-1]}/topics/)?"
                        f"{GCP_RESOURCE_ID.pattern[1:]}",
                        message="must be a topic id (3-255 letters, digits and '-_.~+%', "
                        "starting with a letter) or projects/<project>/topics/<id>.",
                    ),
                    Validation(
                        # The last path segment (the topic id) must not start with goog.
                        regex=r"^([^/]+/)*([^Gg/]|[Gg]([^Oo/]|$)|[Gg][Oo]([^Oo/]|$)|"
                        r"[Gg][Oo][Oo]([^Gg/]|$))[^/]*$",
                        message="must not name a topic starting with 'goog'.",
                    ),
                ),
                example="orders",
            ),
            *gcp_inputs()[1:],
            *dead_letter_alert_inputs(),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            Output("topic_id", lambda b: b.topic_id, "The topic subscribed to (as given)."),
            *gcp_outputs(),
        ),
        notes=(
            "The topic must exist (`topic_name`); creating one needs the construct.",
            "Messages are JSON (`json_body`); no payload mapping or attribute filter: the "
            "Metaflow event carries the envelope only (`id` = message id, `timestamp` = "
            "publish time). Both shape the Sensor in Python: use the construct for them.",
            *GCP_NOTES,
        ),
    )


def _gcs() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.gcs import GcsToMetaflow

        return dead_letter_alert(
            GcsToMetaflow(
                stack,
                "gcs",
                metaflow=metaflow_events(stack, v),
                event=v["event"],
                bucket_name=v["bucket_name"],
                bucket_project=Fn.coalesce([v["bucket_project"], v["project"]]),
                prefix=v["prefix"],
                **gcp_props(v),
            )
        )

    return ModuleSpec(
        name="gcs",
        blueprint="metaflow_blueprints.blueprints.gcs:GcsToMetaflow",
        build=build,
        summary="New objects in an existing GCS bucket (notification → Pub/Sub) start every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name_input(
                GCP_NAME_MAX,
                "the topic, subscription, service account, EventSource and Sensor names",
                GCP_NAME_EXTRA,
            ),
            EVENT_INPUT,
            *gcp_inputs()[:1],
            Input(
                "bucket_name",
                validations=(
                    Validation(
                        regex=GCS_BUCKET.pattern,
                        message="is not a GCS bucket name: 3-222 lower-case letters, digits, "
                        "'-', '_', '.' (the bare name, without gs://).",
                    ),
                ),
                example="acme-raw-landing",
            ),
            Input(
                "bucket_project",
                default=None,
                description="Project that owns the bucket (whose GCS service agent publishes). "
                "Default (null): `project`.",
                validations=(PROJECT_RULE,),
            ),
            Input(
                "prefix",
                default=None,
                description="Only objects whose name starts with it (notification filter). "
                "Default (null): every object.",
            ),
            *gcp_inputs()[1:],
            *dead_letter_alert_inputs(),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            Output("topic_id", lambda b: b.topic_id, "Full id of the created topic."),
            *gcp_outputs(),
            Output(
                "notification_id",
                lambda b: b.notification.notification_id,
                "Id of the bucket's `google_storage_notification`.",
            ),
        ),
        notes=(
            "Event types are fixed to `OBJECT_FINALIZE` (new objects and overwrites); the "
            "Sensor checks them. Other types need the construct.",
            "`prefix` is filtered by the notification only; `suffix` needs the construct (it "
            "becomes an anchored regex in the Sensor, built in Python). The Sensor does not "
            "re-check the bucket name (a Terraform value).",
            "No extra payload keys or filters; the payload is the construct's built-in GCS "
            "payload.",
            *GCP_NOTES,
        ),
    )


# --- vendor webhooks -------------------------------------------------------------------------


#: Secret and IngressClass names: DNS-1123 subdomains (``WebhookIngress`` checks the same).
K8S_SUBDOMAIN_RULE = Validation(
    regex=INGRESS_SUBDOMAIN.pattern,
    max_length=253,
    message="is not a valid Kubernetes object name (lower-case DNS-1123 subdomain).",
)


def ingress_inputs() -> tuple[Input, ...]:
    """The Ingress the vendor calls (always created: dbt Cloud and Fivetran are outside)."""
    return (
        Input(
            "host",
            description="Public host name of the Ingress the vendor calls, e.g. "
            "`hooks.example.com`.",
            validations=(
                Validation(
                    regex=INGRESS_SUBDOMAIN.pattern,
                    max_length=253,
                    message="must be a bare lower-case DNS name of at most 253 characters (no "
                    "scheme, port, path, spaces or wildcard).",
                ),
                Validation(
                    regex=LAST_LABEL_HAS_LETTER.pattern,
                    message="must be a DNS name, not an IP address.",
                ),
            ),
            example="hooks.example.com",
        ),
        Input(
            "tls_secret_name",
            default=None,
            validations=(K8S_SUBDOMAIN_RULE,),
            description="Secret with the TLS certificate for `host`. Default (null): the "
            "Ingress controller's default certificate (the TLS block is always written; the "
            "URL is https).",
        ),
        Input(
            "ingress_class_name",
            default=None,
            validations=(K8S_SUBDOMAIN_RULE,),
            description="IngressClass of the Ingress. Default (null): the cluster's default.",
        ),
    )


def ingress(v: Mapping[str, Any]) -> Any:
    """Always TLS (the construct's default): ``tls_secret_name`` null uses the controller's
    default certificate; the URL is https either way."""
    from metaflow_blueprints.ingress.ingress import WebhookIngress

    return WebhookIngress(
        host=v["host"], tls_secret_name=v["tls_secret_name"], class_name=v["ingress_class_name"]
    )


def vendor_outputs() -> tuple[Output, ...]:
    return (
        *common_outputs(),
        Output(
            "url",
            lambda b: b.url,
            "In-cluster webhook URL (its path is the secret).",
            sensitive=True,
        ),
        Output(
            "external_url",
            lambda b: b.external_url,
            "Public webhook URL to register with the vendor (its path is the secret).",
            sensitive=True,
        ),
    )


VENDOR_NOTES = (
    "Authentication is the unguessable URL path (32 random bytes): read "
    "docs/vendor_webhooks.md before exposing it. No signature verifier, source-IP allowlist or "
    "annotations (`signing_secret`, `allowed_source_ranges`, `annotations` need the "
    "construct).",
    "The webhook is not registered with the vendor (no vendor provider in this module, "
    "`register_webhook` needs the construct): pass `module.<name>.external_url` to a "
    "sensitive root output and register the URL by hand.",
    "Port 12000 and a 32-byte random path are fixed.",
)


def _dbt_cloud() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow

        return DbtCloudToMetaflow(
            stack,
            "dbt_cloud",
            metaflow=metaflow_events(stack, v),
            event=v["event"],
            account_id=v["account_id"],
            ingress=ingress(v),
            name=v["name"],
        )

    return ModuleSpec(
        name="dbt-cloud",
        blueprint="metaflow_blueprints.blueprints.dbt_cloud:DbtCloudToMetaflow",
        build=build,
        summary="A successful dbt Cloud job run (`job.run.completed` webhook) starts every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name_input(stem_of="the EventSource, Sensor and Ingress names"),
            EVENT_INPUT,
            Input(
                "account_id",
                validations=(
                    Validation(
                        regex=DBT_NUMERIC.pattern,
                        message="must be the dbt Cloud account id, digits only, e.g. '12345'.",
                    ),
                ),
                example="43786",
            ),
            *ingress_inputs(),
            *metaflow_inputs(),
        ),
        outputs=vendor_outputs(),
        notes=(
            "Runs of every job and environment of `account_id` start flows, only with status "
            "`Success`; `job_ids`, `environment_ids` and `statuses` need the construct (they "
            "become Sensor regexes in Python).",
            *VENDOR_NOTES,
        ),
    )


def _fivetran() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow

        return FivetranToMetaflow(
            stack,
            "fivetran",
            metaflow=metaflow_events(stack, v),
            event=v["event"],
            ingress=ingress(v),
            name=v["name"],
        )

    return ModuleSpec(
        name="fivetran",
        blueprint="metaflow_blueprints.blueprints.fivetran:FivetranToMetaflow",
        build=build,
        summary="A successful Fivetran connector sync (`sync_end` webhook) starts every flow "
        "with `@trigger(event=var.event)`.",
        inputs=(
            name_input(stem_of="the EventSource, Sensor and Ingress names"),
            EVENT_INPUT,
            *ingress_inputs(),
            *metaflow_inputs(),
        ),
        outputs=vendor_outputs(),
        notes=(
            "Syncs of every connector that reaches the webhook start flows, only with status "
            "`SUCCESSFUL`; `connector_ids`, `group_ids` and `statuses` need the construct "
            "(they become Sensor regexes in Python).",
            *VENDOR_NOTES,
        ),
    )


_FACTORIES: dict[str, Callable[[], ModuleSpec]] = {
    "dbt-cloud": _dbt_cloud,
    "dynamodb": _dynamodb,
    "fivetran": _fivetran,
    "gcs": _gcs,
    "pubsub": _pubsub,
    "s3": _s3,
    "snowflake": _snowflake,
    "webhook": _webhook,
}


def names() -> list[str]:
    """Exportable blueprint names."""
    return sorted(_FACTORIES)


def get(name: str) -> ModuleSpec:
    """The spec of blueprint ``name``; ``KeyError`` names the known ones."""
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise KeyError(f"unknown blueprint {name!r}; known: {', '.join(names())}") from None
