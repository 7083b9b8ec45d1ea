"""The exported blueprints, as data: one :class:`~metaflow_blueprints.export.derive.Blueprint`
each in :data:`BLUEPRINTS`.

Only what is module-specific is written here: which props become inputs (with the rules the
construct checks them with, from :mod:`metaflow_blueprints.rules`), what a null input means,
values the module fixes, why it leaves a prop out, outputs. Types, defaults, descriptions
and the list of props a module leaves out come from the construct (``export/derive.py``).
To add a blueprint, add its entry to :data:`BLUEPRINTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metaflow_blueprints import rules
from metaflow_blueprints.export.derive import Blueprint, Part, Var, spec
from metaflow_blueprints.export.spec import REQUIRED, ModuleSpec, Output
from metaflow_blueprints.metaflow.bridge import default_webhook_url
from metaflow_blueprints.metaflow.contract import BRIDGE_SENSOR_PREFIX
from metaflow_blueprints.runtime import Fn, is_unresolved

#: Longest ``name``: the bridge sensor is ``mfb--<name>`` (47 at most). The construct hashes
#: longer stems; Terraform cannot reproduce that hash, so modules refuse them.
NAME_MAX = rules.OBJECT_NAME_MAX - len(BRIDGE_SENSOR_PREFIX)
#: GCP: the service-account id is ``mfb-<name>`` (at most 30) and a topic is ``<name>``.
GCP_NAME_MAX = 30 - len("mfb-")


def name(stem_of: str, max_length: int = NAME_MAX, extra: tuple[rules.Rule, ...] = ()) -> Var:
    """The ``name`` input: every object name of the module is ``name`` or derived from it."""
    return Var(
        "name", rules=(rules.OBJECT_NAME,), module_rules=(rules.object_name(max_length), *extra),
        default=REQUIRED, derived="${var.name}", example="orders-ready",
        description=f"Stem of {stem_of}; unique per namespace. At most {max_length} "
        f"characters (the bridge sensor is `{BRIDGE_SENSOR_PREFIX}<name>`).",
    )


# The Argo event key is derived in Python; one fixed key per EventSource is enough.
EVENT = Var(
    "event", rules=(rules.METAFLOW_EVENT,), derived="metaflow-event", example="orders.ready"
)
METAFLOW = Part("metaflow", "metaflow_blueprints.metaflow_events:MetaflowEvents", "metaflow", (
    Var("namespace", rules=(rules.NAMESPACE,), description="Namespace of Metaflow's Argo Events "
        "setup (EventBus, webhook EventSource); the blueprint's objects go there too."),
    Var("event_bus", rules=(rules.OBJECT_NAME,),
        description="Argo Events EventBus (METAFLOW_ARGO_EVENTS_EVENT_BUS)."),
    Var("webhook_url", rules=(rules.WEBHOOK_URL,),
        fallback=lambda v: default_webhook_url(v["namespace"]),
        description="In-cluster URL of Metaflow's webhook EventSource. Default (null): "
        "http://argo-events-webhook-eventsource-svc.<namespace>:12000/metaflow-event."),
))


def _trim_https(issuer: Any) -> Any:
    """The trust policy needs the issuer's host, as the construct strips it in Python."""
    return Fn.trimprefix(issuer, "https://") if is_unresolved(issuer) else issuer


IRSA = Part("consumer", "metaflow_blueprints.aws.identity:SqsConsumer.irsa", None, (
    Var("oidc_provider_arn", rules=(rules.OIDC_PROVIDER_ARN,),
        description="ARN of the EKS cluster's IAM OIDC provider (arn:aws:iam::<account>:"
        "oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>); the event source authenticates "
        "with IRSA.",
        example="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"),
    Var("oidc_issuer", prop="issuer", rules=(rules.OIDC_ISSUER,), convert=_trim_https,
        description="The cluster's OIDC issuer URL (`identity[0].oidc[0].issuer` of "
        "`aws_eks_cluster`), with or without `https://`.",
        example="https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"),
))
INGRESS = Part("ingress", "metaflow_blueprints.ingress.ingress:WebhookIngress", None, (
    Var("host", rules=rules.HOST, example="hooks.example.com",
        description="Public host name of the Ingress the vendor calls, e.g. `hooks.example.com`."),
    Var("tls_secret_name", rules=(rules.SUBDOMAIN,), description="Secret with the TLS certificate "
        "for `host`. Default (null): the Ingress controller's default certificate (the TLS block "
        "is always written; the URL is https)."),
    Var("ingress_class_name", prop="class_name", rules=(rules.SUBDOMAIN,),
        description="IngressClass of the Ingress. Default (null): the cluster's default."),
))
GCP_NAME = (GCP_NAME_MAX, rules.GCP_TOPIC_STEM)


def _mfb(v: Any) -> Any:
    return "mfb-" + v["name"]


GCP = (
    Var("project", rules=(rules.GCP_PROJECT,), example="acme-ml-prod"),
    Var("subscription_id", rules=rules.PUBSUB_ID, fallback=_mfb, description="Id of the created "
        "subscription (the dead-letter topic and its subscription add `-dlq`). Default (null): "
        "`mfb-<name>`."),
    Var("service_account_id", rules=(rules.GCP_SERVICE_ACCOUNT_ID,), fallback=_mfb,
        description="Id of the Google service account the EventSource runs as. Default (null): "
        "`mfb-<name>`."),
    Var("workload_identity_pool", fallback=lambda v: v["project"] + ".svc.id.goog",
        description="The GKE cluster's Workload Identity pool. Default (null): "
        "`<project>.svc.id.goog` (set it when the cluster runs in another project)."),
)


def _attribute(blueprint: Any, path: str) -> Any:
    """The construct attribute at ``path`` (dotted)."""
    for attr in path.split("."):
        blueprint = getattr(blueprint, attr)
    return blueprint


def _out(name: str, path: str, description: str, sensitive: bool = False) -> Output:
    """Output ``name``: the construct attribute at ``path``."""
    return Output(name, lambda blueprint: _attribute(blueprint, path), description, sensitive)


def _count_by(variable: str, path: str) -> Callable[[Any, Any], None]:
    """``Blueprint.after``: the resource at ``path`` exists only while ``var.<variable>`` is
    true (a bool variable cannot switch a construct in Python: the count does)."""

    def count(blueprint: Any, v: Any) -> None:
        _attribute(blueprint, path).add_override("count", f"${{var.{variable} ? 1 : 0}}")

    return count


COMMON_OUT = (
    _out("event_source_name", "event_source.name", "Name of the EventSource."),
    _out("sensor_name", "sensor.name", "Name of the bridge Sensor."),
)
QUEUE_OUT = (
    _out("queue_arn", "queue_arn", "ARN of the SQS queue the EventSource reads."),
    _out("queue_url", "queue.url", "URL of the SQS queue."),
    _out("dead_letter_queue_arn", "queue.dead_letter_arn", "ARN of the queue's dead-letter queue."),
    _out("role_arn", "role.arn",
         "ARN of the IAM role the EventSource's service account assumes (IRSA)."),
)
GCP_OUT = (
    _out("subscription_id", "subscription.subscription.id",
         "Full id of the subscription the EventSource pulls (projects/P/subscriptions/S)."),
    _out("dead_letter_topic_id", "subscription.dead_letter_topic.id",
         "Full id of the dead-letter topic."),
    _out("service_account_email", "identity.email",
         "Email of the Google service account the EventSource runs as."),
)
VENDOR_OUT = (
    *COMMON_OUT,
    _out("url", "url", "In-cluster webhook URL (its path is the secret).", sensitive=True),
    _out("external_url", "external_url",
         "Public webhook URL to register with the vendor (its path is the secret).", True),
)

#: Reasons shared by several modules for leaving a prop out.
SENSOR = "shapes the Sensor in Python at generation (filters and jq transform)"
QUEUE = "the module creates its queue (its encryption and DLQ as the construct's defaults)"
WHY_AWS = {p: QUEUE for p in ("queue", "queue_arn", "queue_kms_key_arn", "encryption",
                              "kms_key_arn", "max_receive_count")}
WHY_GCP = {
    "kms_key_name": "topics use Google-managed encryption",
    "project_number": "read with `data.google_project`",
}
WHY_VENDOR = {
    "signing_secret": "authentication is the unguessable URL path (docs/vendor_webhooks.md)",
    "verify_signature": "no signature verifier without `signing_secret`",
    "register_webhook": "no vendor provider in the module: register the URL by hand",
    "ingress.tls": "always TLS (the URL is https)",
}
VENDOR_NOTES = (
    "Authentication is the unguessable URL path (32 random bytes): read docs/vendor_webhooks.md "
    "before exposing it. The webhook is not registered with the vendor: pass "
    "`module.<name>.external_url` to a sensitive root output and register the URL by hand.",
)
WHY_METAFLOW = {
    "metaflow.webhook_auth_secret": "Metaflow's webhook is called without auth",
    "metaflow.webhook_auth_token": "Metaflow's webhook is called without auth",
}
#: The created queue's dead-letter alarm (``QueueSettings``), counted on its bool.
DLQ_ALARM = (
    Var("dead_letter_alarm", type="bool", nullable=False, passed=False),
    Var("dead_letter_alarm_actions", rules=(rules.ALARM_ACTIONS,), type="list(string)",
        default=[], nullable=False),
)
#: The dead-letter subscription's alert policy (``SubscriptionSettings``), counted likewise.
DLQ_ALERT = (
    Var("dead_letter_alert", type="bool", nullable=False, passed=False),
    Var("dead_letter_notification_channels", rules=(rules.NOTIFICATION_CHANNELS,),
        type="list(string)", default=[], nullable=False),
)


_count_alarm = _count_by("dead_letter_alarm", "queue.dead_letter_alarm")
_count_alert = _count_by("dead_letter_alert", "subscription.dead_letter_alert")
_count_bucket_eventbridge = _count_by("enable_bucket_eventbridge", "notification")


AWS_NOTES = (
    "The consumer identity is IRSA (`SqsConsumer.irsa`); EKS Pod Identity or static keys "
    "need the construct.",
)


def _s3_after(blueprint: Any, v: Any) -> None:
    # The construct's id hashes the bucket token, whose number depends on the process.
    blueprint.notification.override_logical_id("bucket_eventbridge")
    _count_bucket_eventbridge(blueprint, v)
    _count_alarm(blueprint, v)


_AFFIX = "Only keys {} this {} (EventBridge rule). Default `\"\"`: every key."
BLUEPRINTS: tuple[Blueprint, ...] = (
    Blueprint(
        "webhook", "metaflow_blueprints.blueprints.webhook:WebhookToMetaflow",
        summary="An authenticated JSON webhook inside the cluster starts every flow with "
        "`@trigger(event=var.event)`.",
        inputs=(
            name("the EventSource, Sensor and Secret names"), EVENT,
            Var("endpoint", rules=(rules.WEBHOOK_ENDPOINT,), fallback=lambda v: "/" + v["name"],
                description="URL path of the webhook. Default (null): `/<name>`."),
            METAFLOW,
        ),
        outputs=(
            *COMMON_OUT, _out("url", "url", "In-cluster URL of the webhook."),
            _out("token", "token.value",
                 "Bearer token callers must send (Authorization: Bearer <token>).", True),
            _out("token_secret_name", "token.secret.name",
                 "Secret (key `token`) holding the bearer token."),
        ),
        why={"ingress": "no Ingress: put one in front of `<name>-eventsource-svc` port 12000",
             "payload": SENSOR, "filters": SENSOR, "id_path": SENSOR, **WHY_METAFLOW},
    ),
    Blueprint(
        "s3", "metaflow_blueprints.blueprints.s3:S3ToMetaflow",
        summary="New objects in an existing S3 bucket (S3 → EventBridge → SQS) start every flow "
        "with `@trigger(event=var.event)`.",
        inputs=(
            name("the queue, IAM role, EventBridge rule, EventSource and Sensor names"), EVENT,
            Var("bucket_name", rules=rules.S3_BUCKET, example="raw-landing"), IRSA,
            Var("prefix", module_rules=(rules.EVENTBRIDGE_KEY_AFFIX,), default="",
                nullable=False, description=_AFFIX.format("starting with", "prefix")),
            Var("suffix", module_rules=(rules.EVENTBRIDGE_KEY_AFFIX,), default="",
                nullable=False, description=_AFFIX.format("ending with", "suffix")),
            Var("enable_bucket_eventbridge", type="bool", default=True, passed=False,
                description="Create the bucket's `aws_s3_bucket_notification` with "
                "`eventbridge = true`. It owns the bucket's whole notification configuration "
                "(other queue, topic or Lambda notifications are removed) and destroying it "
                "turns EventBridge off: set `false` when EventBridge is already enabled on the "
                "bucket or another module instance on the same bucket manages it."),
            *DLQ_ALARM, METAFLOW,
        ),
        outputs=(*COMMON_OUT, *QUEUE_OUT,
                 _out("rule_arn", "rule.arn", "ARN of the EventBridge rule.")),
        fixed={"delivery": "eventbridge"},
        why={"delivery": "S3 keeps one notification configuration per bucket, which separate "
             "module instances cannot merge; EventBridge rules may overlap freely",
             "events": "the EventBridge rule is built in Python", "filters": SENSOR,
             **WHY_AWS, **WHY_METAFLOW},
        notes=("`prefix` and `suffix` are filtered by the EventBridge rule only (the Sensor "
               "does not repeat them).", *AWS_NOTES),
        after=_s3_after,
    ),
    Blueprint(
        "dynamodb", "metaflow_blueprints.blueprints.dynamodb:DynamoDbToMetaflow",
        summary="New items in a DynamoDB table (stream → EventBridge pipe → SQS) start every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name("the queue, pipe, IAM roles, EventSource and Sensor names"), EVENT,
            Var("table_name", rules=(rules.DYNAMODB_TABLE,), example="orders"),
            Var("stream_arn", rules=rules.DYNAMODB_STREAM_ARN, default=REQUIRED,
                description="The table's stream ARN (`stream_arn` of `aws_dynamodb_table`; the "
                "stream must be enabled).",
                example="arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/"
                "2025-01-01T00:00:00.000"),
            IRSA, *DLQ_ALARM, METAFLOW,
        ),
        outputs=(*COMMON_OUT, *QUEUE_OUT,
                 _out("pipe_arn", "pipe.arn", "ARN of the EventBridge pipe."),
                 _out("pipe_role_arn", "pipe_role.arn", "ARN of the pipe's IAM role.")),
        why={"event_names": "shapes the pipe filter and the Sensor in Python", "keys": SENSOR,
             "filters": SENSOR, "pipe_dead_letter_arn": "the pipe's failures go to the queue's DLQ",
             **WHY_AWS, **WHY_METAFLOW},
        notes=("`stream_arn` is required: the module reads nothing from the table at plan "
               "time.", *AWS_NOTES),
        after=_count_alarm,
    ),
    Blueprint(
        "snowflake", "metaflow_blueprints.blueprints.snowflake:SnowflakeToMetaflow",
        summary="Committed changes to a Snowflake table (stream → triggered task → SNS → SQS) "
        "start every flow with `@trigger(event=var.event)`.",
        inputs=(
            name("the Snowflake objects, SNS topic, queue, IAM roles, EventSource and Sensor "
                 "names"), EVENT,
            Var("database", rules=(rules.SNOWFLAKE_IDENTIFIER,), example="ANALYTICS",
                description="Database of the watched table."),
            Var("schema", rules=(rules.SNOWFLAKE_IDENTIFIER,), example="SALES",
                description="Schema of the watched table."),
            Var("table", rules=(rules.SNOWFLAKE_IDENTIFIER,), example="ORDERS",
                description="The watched table."),
            Var("warehouse", rules=(rules.SNOWFLAKE_IDENTIFIER,), example="MFB_NOTIFY_WH",
                description="Warehouse the triggered task runs on."),
            IRSA, *DLQ_ALARM, METAFLOW,
        ),
        outputs=(*COMMON_OUT, *QUEUE_OUT,
                 _out("topic_arn", "topic.arn", "ARN of the SNS topic Snowflake publishes to."),
                 _out("snowflake_role_arn", "snowflake_role.arn",
                      "ARN of the IAM role Snowflake assumes to publish."),
                 _out("integration_name", "integration.name",
                      "Name of the Snowflake notification integration."),
                 _out("task_name", "task.name", "Name of the Snowflake triggered task.")),
        why={"cloud": "AWS route only (an account hosted on AWS)", "filters": SENSOR,
             **WHY_AWS, **WHY_METAFLOW},
        notes=(
            "Configure the Snowflake provider (in the calling configuration) with "
            "`preview_features_enabled = [\"snowflake_notification_integration_resource\", "
            "\"snowflake_procedure_sql_resource\"]`; its role must be allowed to create the "
            "stream, procedure, task and integration and to execute tasks (docs/snowflake.md).",
            "The Sensor checks the batch id and a non-zero change count; it does not compare "
            "the message's database/schema/table with the inputs (the topic is the module's "
            "own). Each name is also checked by a `lifecycle.precondition` on the SQL resources.",
            *AWS_NOTES,
        ),
        after=_count_alarm,
    ),
    Blueprint(
        "pubsub", "metaflow_blueprints.blueprints.pubsub:PubSubToMetaflow",
        summary="Every message on an existing Pub/Sub topic starts every flow with "
        "`@trigger(event=var.event)`.",
        inputs=(
            name("the subscription, service account, EventSource and Sensor names", *GCP_NAME),
            EVENT, GCP[0],
            Var("topic_name", rules=rules.PUBSUB_TOPIC, default=REQUIRED, example="orders",
                description="The existing topic: its id in `project`, or `projects/P/topics/T`."),
            *GCP[1:], *DLQ_ALERT, METAFLOW,
        ),
        outputs=(*COMMON_OUT, _out("topic_id", "topic_id", "The topic subscribed to (as given)."),
                 *GCP_OUT),
        why={"topic": "the topic must exist (`topic_name`)", "payload": SENSOR,
             "attributes_filter": SENSOR, "filters": SENSOR, **WHY_GCP, **WHY_METAFLOW},
        notes=("Messages are JSON (`json_body`); the Metaflow event carries the envelope only "
               "(`id` = message id, `timestamp` = publish time).",),
        after=_count_alert,
    ),
    Blueprint(
        "gcs", "metaflow_blueprints.blueprints.gcs:GcsToMetaflow",
        summary="New objects in an existing GCS bucket (notification → Pub/Sub) start every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name("the topic, subscription, service account, EventSource and Sensor names",
                 *GCP_NAME), EVENT, GCP[0],
            Var("bucket_name", rules=(rules.GCS_BUCKET,), example="acme-raw-landing"),
            Var("bucket_project", rules=(rules.GCP_PROJECT,), fallback=lambda v: v["project"],
                description="Project that owns the bucket (whose GCS service agent publishes). "
                "Default (null): `project`."),
            Var("prefix", description="Only objects whose name starts with it (notification "
                "filter). Default (null): every object."),
            *GCP[1:], *DLQ_ALERT, METAFLOW,
        ),
        outputs=(*COMMON_OUT, _out("topic_id", "topic_id", "Full id of the created topic."),
                 *GCP_OUT,
                 _out("notification_id", "notification.notification_id",
                      "Id of the bucket's `google_storage_notification`.")),
        why={"suffix": "becomes an anchored regex in the Sensor, built in Python",
             "event_types": "the Sensor checks them in Python", "custom_attributes": SENSOR,
             "payload": SENSOR, "filters": SENSOR, **WHY_GCP, **WHY_METAFLOW},
        notes=("`prefix` is filtered by the notification only. The Sensor does not re-check "
               "the bucket name (a Terraform value).",),
        after=_count_alert,
    ),
    Blueprint(
        "dbt-cloud", "metaflow_blueprints.blueprints.dbt_cloud:DbtCloudToMetaflow",
        summary="A successful dbt Cloud job run (`job.run.completed` webhook) starts every "
        "flow with `@trigger(event=var.event)`.",
        inputs=(
            name("the EventSource, Sensor and Ingress names"), EVENT,
            Var("account_id", rules=(rules.DBT_NUMERIC_ID,), example="43786"), INGRESS, METAFLOW,
        ),
        outputs=VENDOR_OUT,
        why={"job_ids": SENSOR, "environment_ids": SENSOR, "statuses": SENSOR, **WHY_VENDOR,
             **WHY_METAFLOW},
        notes=VENDOR_NOTES,
    ),
    Blueprint(
        "fivetran", "metaflow_blueprints.blueprints.fivetran:FivetranToMetaflow",
        summary="A successful Fivetran connector sync (`sync_end` webhook) starts every flow "
        "with `@trigger(event=var.event)`.",
        inputs=(name("the EventSource, Sensor and Ingress names"), EVENT, INGRESS, METAFLOW),
        outputs=VENDOR_OUT,
        why={"connector_ids": SENSOR, "group_ids": SENSOR, "statuses": SENSOR, **WHY_VENDOR,
             **WHY_METAFLOW},
        notes=VENDOR_NOTES,
    ),
)
_BY_NAME = {bp.name: bp for bp in BLUEPRINTS}


def names() -> list[str]:
    """Exportable blueprint names."""
    return sorted(_BY_NAME)


def get(name: str) -> ModuleSpec:
    """The spec of blueprint ``name``; ``KeyError`` names the known ones."""
    try:
        return spec(_BY_NAME[name])
    except KeyError:
        raise KeyError(f"unknown blueprint {name!r}; known: {', '.join(names())}") from None
