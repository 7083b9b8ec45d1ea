"""SnowflakeToMetaflow: wiring, policies, validation, and example messages end to end.

Facts the tests rely on (sources):
- Outbound queue integrations: ``TYPE = QUEUE``, ``DIRECTION = OUTBOUND``,
  ``NOTIFICATION_PROVIDER = AWS_SNS`` with ``AWS_SNS_TOPIC_ARN`` / ``AWS_SNS_ROLE_ARN``
  (https://docs.snowflake.com/en/user-guide/notifications/creating-notification-integration-amazon-sns),
  or ``GCP_PUBSUB`` with ``GCP_PUBSUB_TOPIC_NAME``; Snowflake publishes as the
  integration's IAM user, assuming our role with its external id (the provider exposes
  ``aws_sns_iam_user_arn`` / ``aws_sns_external_id`` / ``gcp_pubsub_service_account``:
  https://registry.terraform.io/providers/snowflakedb/snowflake/2.11.0/docs/resources/notification_integration).
- Triggered tasks: ``WHEN SYSTEM$STREAM_HAS_DATA(...)`` and no ``SCHEDULE``
  (https://docs.snowflake.com/en/user-guide/tasks-triggered).
- The message is ``SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(...)``, i.e.
  ``{"application/json": "<json>"}`` (https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_snowflake_notification);
  what lands on the queue is not documented further, so every shape is replayed.
- SNS → SQS without raw delivery wraps the message in the SNS envelope, ``Message`` a JSON
  string (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jq
import pytest
from parliament import analyze_policy_string

from metaflow_blueprints.blueprints.snowflake import PAYLOAD_KEYS, RANGE_KEYS, SnowflakeToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import ENVELOPE_KEYS
from metaflow_blueprints.replay import replay
from metaflow_blueprints.replay.testing import (
    assert_no_trigger,
    replay_events,
    stack_from_manifests,
)
from metaflow_blueprints.runtime import provider_module
from metaflow_blueprints.snowflake import ChangeNotifierSql
from tests.helpers import IRSA, REPO, checkov_failures, manifests, resources, synth, with_aws

EVENTS = REPO / "examples" / "events" / "snowflake"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
SOURCE = "snowflake-orders/snowflake-orders-changed"
BATCH = "3f2b8c1e-9d4a-4e6b-8f0a-5c7d2e1b9a64"
EXPECTED = {
    "name": "snowflake.orders.changed",
    "payload": {
        "name": "snowflake.orders.changed",
        "id": BATCH,
        "timestamp": 1767262830,
        "utc_date": "20260101",
        "database": "ANALYTICS",
        "schema": "SALES",
        "table": "ORDERS",
        "batch_id": BATCH,
        "inserted": 12,
        "updated": 3,
        "deleted": 1,
        "changes": 16,
        "window_start": "2026-01-01T10:20:00Z",
        "window_end": "2026-01-01T10:20:30Z",
        "range_column": "UPDATED_AT",
        "range_min": "2026-01-01 10:19:58.120 +0000",
        "range_max": "2026-01-01 10:20:29.870 +0000",
    },
}
CHANGES = ["change_raw", "change_sns_envelope", "change_application_json"]
NOTHING = ["empty_change", "malformed"]


def sample(name: str) -> Any:
    return json.loads((EVENTS / f"{name}.json").read_text())


def only(tf: dict[str, Any], type_: str) -> dict[str, Any]:
    (body,) = resources(tf, type_).values()
    return body  # type: ignore[no-any-return]


# --- example messages through the synthesized bridge ------------------------------------


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_message_shape_gives_exactly_one_event(
    snowflake_stack: dict[str, Any], name: str
) -> None:
    assert replay_events(snowflake_stack, sample(name), source=SOURCE, now=NOW) == [EXPECTED]


@pytest.mark.parametrize("name", NOTHING)
def test_empty_change_and_malformed_messages_start_nothing(
    snowflake_stack: dict[str, Any], name: str
) -> None:
    assert_no_trigger(snowflake_stack, sample(name), source=SOURCE, now=NOW)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"table": "CUSTOMERS"}, "metaflow.table"),
        ({"schema": "STAGING"}, "metaflow.schema"),
        ({"batch_id": "not-a-uuid"}, "metaflow.batch_id"),
        ({"summary": "16 rows"}, "metaflow.changes"),
    ],
)
def test_messages_for_other_tables_or_without_id_or_summary_start_nothing(
    snowflake_stack: dict[str, Any], change: dict[str, Any], why: str
) -> None:
    message = {**sample("change_raw"), **change}
    result = assert_no_trigger(snowflake_stack, message, source=SOURCE, now=NOW)
    # A summary without a number leaves `changes` out of the payload (no nulls are posted), so
    # that filter finds no path instead of a value that does not match: either way, nothing.
    assert any(
        why in line and ("no match" in line or "does not exist" in line)
        for line in result.explain
    ), result.explain


def test_a_redelivered_notification_keeps_its_id(snowflake_stack: dict[str, Any]) -> None:
    first = replay_events(snowflake_stack, sample("change_raw"), source=SOURCE, now=NOW)
    again = replay_events(
        snowflake_stack,
        sample("change_sns_envelope"),
        source=SOURCE,
        now=datetime(2026, 1, 2, tzinfo=timezone.utc),
    )
    assert first[0]["payload"]["id"] == again[0]["payload"]["id"] == BATCH


def _transform(tf: dict[str, Any]) -> str:
    (sensor,) = manifests(tf, "Sensor")
    return str(sensor["spec"]["dependencies"][0]["transform"]["jq"])


@pytest.mark.parametrize("name", CHANGES + NOTHING)
def test_jq_and_gojq_agree_on_the_bridge_transform(
    snowflake_stack: dict[str, Any], name: str
) -> None:
    gojq = shutil.which("gojq")
    if gojq is None:
        pytest.skip("gojq is not installed (Debian package gojq)")
    program = _transform(snowflake_stack)
    data = {"messageId": "m-1", "messageAttributes": None, "body": sample(name)}
    ours = jq.compile(program).input_value(data).first()
    theirs = json.loads(
        subprocess.run(
            [gojq, "-c", program], input=json.dumps(data), capture_output=True, text=True,
            check=True, timeout=60,
        ).stdout
    )
    if name == "malformed":  # no window_end: both fall back to their own clock
        for out in (ours, theirs):
            del out["metaflow"]["timestamp"], out["metaflow"]["utc_date"]
    assert ours == theirs
    # A malformed message has no batch id: the key is left out (no nulls are posted).
    assert ours["metaflow"].get("batch_id") == (
        None if name == "malformed" else ours["metaflow"]["id"]
    )


# --- the reference stack's resources -----------------------------------------------------


def test_snowflake_objects(snowflake_stack: dict[str, Any]) -> None:
    sql = ChangeNotifierSql(
        database="ANALYTICS",
        schema="SALES",
        table="ORDERS",
        stream="MFB_SNOWFLAKE_ORDERS_STREAM",
        batches="MFB_SNOWFLAKE_ORDERS_BATCHES",
        procedure="MFB_SNOWFLAKE_ORDERS_NOTIFY",
        integration="MFB_SNOWFLAKE_ORDERS_QUEUE",
        range_column="UPDATED_AT",
    )
    stream = only(snowflake_stack, "snowflake_stream_on_table")
    assert (stream["database"], stream["schema"], stream["name"]) == (
        "ANALYTICS", "SALES", "MFB_SNOWFLAKE_ORDERS_STREAM"
    )
    assert stream["table"] == '"ANALYTICS"."SALES"."ORDERS"' and stream["append_only"] == "false"
    procedure = only(snowflake_stack, "snowflake_procedure_sql")
    assert procedure["procedure_definition"] == sql.procedure_body()
    assert (procedure["return_type"], procedure["execute_as"]) == ("VARCHAR", "OWNER")
    task = only(snowflake_stack, "snowflake_task")
    assert "schedule" not in task  # a triggered task
    assert task["when"] == sql.task_when()
    assert task["sql_statement"] == sql.task_statement()
    assert (task["warehouse"], task["started"]) == ("MFB_NOTIFY_WH", True)
    waits_for = {d.split(".")[0] for d in task["depends_on"]}
    assert waits_for == {
        "snowflake_procedure_sql",
        "snowflake_grant_privileges_to_account_role",
        "aws_iam_role_policy",
        "aws_sns_topic_policy",
        "aws_sns_topic_subscription",
    }
    grants = resources(snowflake_stack, "snowflake_grant_privileges_to_account_role")
    assert sorted((g["privileges"], g["account_role_name"]) for g in grants.values()) == [
        (["EXECUTE TASK"], "MFB_NOTIFIER"),
        (["USAGE"], "MFB_NOTIFIER"),
    ]
    (provider,) = snowflake_stack["provider"]["snowflake"]
    assert set(provider["preview_features_enabled"]) == {
        "snowflake_notification_integration_resource",
        "snowflake_procedure_sql_resource",
    }
    assert "password" not in provider and "private_key" not in provider
    required = snowflake_stack["terraform"]["required_providers"]["snowflake"]
    assert required["source"] == "snowflakedb/snowflake"


def test_integration_role_and_topic_are_wired_to_each_other(
    snowflake_stack: dict[str, Any],
) -> None:
    integration = only(snowflake_stack, "snowflake_notification_integration")
    assert {k: integration[k] for k in ("type", "direction", "notification_provider")} == {
        "type": "QUEUE",
        "direction": "OUTBOUND",
        "notification_provider": "AWS_SNS",
    }
    assert integration["enabled"] is True
    topic_arn = integration["aws_sns_topic_arn"]
    assert re.fullmatch(r"\$\{aws_sns_topic\.orders_topic_\w+\.arn\}", topic_arn)
    roles = resources(snowflake_stack, "aws_iam_role")
    (name, role) = next((n, r) for n, r in roles.items() if n.startswith("orders_snowflake_role"))
    assert integration["aws_sns_role_arn"].endswith(f":role/{role['name']}")
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    ref = next(iter(resources(snowflake_stack, "snowflake_notification_integration")))
    assert trust["Principal"] == {
        "AWS": f"${{snowflake_notification_integration.{ref}.aws_sns_iam_user_arn}}"
    }
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {
            "sts:ExternalId": f"${{snowflake_notification_integration.{ref}.aws_sns_external_id}}"
        }
    }
    policy = json.loads(
        next(p for n, p in resources(snowflake_stack, "aws_iam_role_policy").items()
             if n.startswith("orders_snowflake_policy"))["policy"]
    )
    topic_ref = integration["aws_sns_topic_arn"]
    assert policy["Statement"] == [
        {"Sid": "PublishToTopic", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_ref}
    ]
    topic = only(snowflake_stack, "aws_sns_topic")
    assert topic["kms_master_key_id"] == "alias/aws/sns"
    statements = json.loads(only(snowflake_stack, "aws_sns_topic_policy")["policy"])["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["DenyInsecureTransport"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    role_arn = f"${{aws_iam_role.{name}.arn}}"
    assert by_sid["DenyOtherPublishers"]["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": role_arn}
    }
    assert by_sid["AllowPublisherRole"]["Principal"] == {"AWS": role_arn}
    assert {s["Action"] for s in statements} == {"sns:Publish"}


def test_queue_is_subscribed_raw_and_admits_only_this_topic(
    snowflake_stack: dict[str, Any],
) -> None:
    subscription = only(snowflake_stack, "aws_sns_topic_subscription")
    assert (subscription["protocol"], subscription["raw_message_delivery"]) == ("sqs", True)
    assert subscription["endpoint"].startswith("${aws_sqs_queue.orders_queue_")
    assert any(d.startswith("aws_sqs_queue_policy.orders_queue_policy") for d in
               subscription["depends_on"])
    policies = resources(snowflake_stack, "aws_sqs_queue_policy")
    main = next(p for n, p in policies.items() if n.startswith("orders_queue_policy"))
    (allow,) = [s for s in json.loads(main["policy"])["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == subscription["topic_arn"]
    for queue in resources(snowflake_stack, "aws_sqs_queue").values():
        assert queue["sqs_managed_sse_enabled"] is True
    (source,) = manifests(snowflake_stack, "EventSource")
    (sqs,) = source["spec"]["sqs"].values()
    assert sqs["jsonBody"] is True and sqs["dlq"] is True


def test_only_the_event_source_role_may_receive_and_the_dead_letters_alarm(
    snowflake_stack: dict[str, Any],
) -> None:
    policies = resources(snowflake_stack, "aws_sqs_queue_policy")
    main = next(p for n, p in policies.items() if n.startswith("orders_queue_policy"))
    (deny,) = [
        s for s in json.loads(main["policy"])["Statement"]
        if s["Sid"] == "DenyReceiveExceptConsumers"
    ]
    assert deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == [
        "${aws_iam_role." + next(n for n in resources(snowflake_stack, "aws_iam_role")
                                 if n.startswith("orders_identity_role")) + ".arn}"
    ]
    alarm = only(snowflake_stack, "aws_cloudwatch_metric_alarm")
    dlq = next(n for n, q in resources(snowflake_stack, "aws_sqs_queue").items()
               if q["name"].endswith("-dlq"))
    assert alarm["dimensions"] == {"QueueName": "${aws_sqs_queue." + dlq + ".name}"}
    assert alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"


def test_gcp_route_takes_the_subscription_settings_and_alerts_on_dead_letters() -> None:
    channel = "projects/acme-ml/notificationChannels/123"
    tf = synth(
        lambda stack: _gcp(
            stack, max_delivery_attempts=10, dead_letter_notification_channels=[channel]
        ),
        stack_id="gcp",
    )
    subscription = next(s for s in resources(tf, "google_pubsub_subscription").values()
                        if "dead_letter_policy" in s)
    assert subscription["dead_letter_policy"]["max_delivery_attempts"] == 10
    policy = only(tf, "google_monitoring_alert_policy")
    assert policy["notification_channels"] == [channel]
    assert "num_undelivered_messages" in policy["conditions"][0]["condition_threshold"]["filter"]


# Realistic values for the ${...} interpolations, so parliament checks real ARNs.
_FAKES = [
    (r"^data\.aws_caller_identity\..*\.account_id$", "123456789012"),
    (r"^data\.aws_partition\..*\.partition$", "aws"),
    (r"^aws_sqs_queue\.(.*)\.arn$", "arn:aws:sqs:us-east-1:123456789012:q-{0}"),
    (r"^aws_sns_topic\.(.*)\.arn$", "arn:aws:sns:us-east-1:123456789012:t-{0}"),
    (r"^aws_iam_role\.(.*)\.arn$", "arn:aws:iam::123456789012:role/{0}"),
    (r"\.aws_sns_iam_user_arn$", "arn:aws:iam::210987654321:user/snowflake-sns"),
    (r"\.aws_sns_external_id$", "ACME_SFCRole=2_EXAMPLEexternalid="),
]


def _concrete(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        for pattern, fake in _FAKES:
            found = re.search(pattern, match.group(1))
            if found:
                return fake.format(*[g.replace("_", "-") for g in found.groups()])
        raise AssertionError(f"no fake value for ${{{match.group(1)}}}")

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def test_policy_documents_are_clean_under_parliament(snowflake_stack: dict[str, Any]) -> None:
    documents = {
        f"{type_}.{name}": _concrete(body[attribute])
        for type_, attribute in [
            ("aws_iam_role", "assume_role_policy"),
            ("aws_iam_role_policy", "policy"),
            ("aws_sns_topic_policy", "policy"),
            ("aws_sqs_queue_policy", "policy"),
        ]
        for name, body in resources(snowflake_stack, type_).items()
    }
    assert len(documents) == 2 + 2 + 1 + 2
    findings = {}
    for name, text in documents.items():
        analyzed = analyze_policy_string(
            text, ignore_private_auditors=True, include_community_auditors=False
        )
        # Trust policies have no Resource by definition (the role is the resource), and
        # parliament only knows Cognito/SAML federation, not EKS OIDC providers.
        issues = [
            f"{f.issue}: {f.detail}"
            for f in analyzed.findings
            if not (
                name.startswith("aws_iam_role.")
                and f.issue in ("MALFORMED", "UNKNOWN_FEDERATION_SOURCE")
            )
        ]
        if issues:
            findings[name] = issues
    assert findings == {}


# --- GCP route ----------------------------------------------------------------------------


def _gcp(stack: Any, **overrides: Any) -> SnowflakeToMetaflow:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-ml")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    args: dict[str, Any] = {
        "event": "snowflake.orders.changed",
        "database": "ANALYTICS",
        "schema": "SALES",
        "table": "ORDERS",
        "warehouse": "MFB_NOTIFY_WH",
        "cloud": "gcp",
        "project": "acme-ml",
        **overrides,
    }
    return SnowflakeToMetaflow(stack, "orders", metaflow=metaflow, **args)


GCP_KEY = "projects/acme-security/locations/us/keyRings/pubsub/cryptoKeys/pubsub"


def test_gcp_route_grants_only_the_integration_service_account(tmp_path: Path) -> None:
    tf = synth(
        lambda stack: _gcp(stack, kms_key_name=GCP_KEY, range_column="UPDATED_AT"), stack_id="gcp"
    )
    topics = resources(tf, "google_pubsub_topic")
    assert {t["kms_key_name"] for t in topics.values()} == {GCP_KEY}  # CKV_GCP_83
    integration = only(tf, "snowflake_notification_integration")
    assert integration["notification_provider"] == "GCP_PUBSUB"
    assert re.fullmatch(r"\$\{google_pubsub_topic\.orders_topic_\w+\.id\}",
                        integration["gcp_pubsub_topic_name"])
    assert "aws_sns_role_arn" not in integration
    ref = next(iter(resources(tf, "snowflake_notification_integration")))
    members = resources(tf, "google_pubsub_topic_iam_member")
    (publisher,) = [m for n, m in members.items() if n.startswith("orders_publisher")]
    others = [m for n, m in members.items() if not n.startswith("orders_publisher")]
    # The only other topic grants are the Pub/Sub service agent's, on dead-letter topics.
    assert all("gcp-sa-pubsub" in m["member"] for m in others)
    assert publisher["topic"].startswith("${google_pubsub_topic.orders_topic_")
    assert publisher["role"] == "roles/pubsub.publisher"
    assert publisher["member"] == (
        f"serviceAccount:${{snowflake_notification_integration.{ref}.gcp_pubsub_service_account}}"
    )
    task = only(tf, "snowflake_task")
    assert any(d.startswith("google_pubsub_topic_iam_member.") for d in task["depends_on"])
    assert any(d.startswith("google_pubsub_subscription.") for d in task["depends_on"])
    assert not [t for t in tf["resource"] if t.startswith("aws_")]
    (source,) = manifests(tf, "EventSource")
    (pubsub,) = source["spec"]["pubSub"].values()
    # `topic` is the Go zero value "" (no omitempty: the controller writes it back), so Argo
    # never creates or looks up the topic; the subscription exists already.
    assert pubsub["jsonBody"] is True and pubsub.get("topic", "") == ""
    assert checkov_failures(tf, tmp_path) == []
    source = "gcp-orders/snowflake-orders-changed"
    for name in CHANGES:
        message = {"messageId": "17", "data": sample(name)}
        assert replay_events(tf, message, source=source, now=NOW) == [EXPECTED]
    for name in NOTHING:
        assert_no_trigger(tf, {"messageId": "18", "data": sample(name)}, source=source, now=NOW)


def test_gcp_manifests_pass_the_strict_schema(strict_validator: Any) -> None:
    tf = synth(lambda stack: _gcp(stack), stack_id="gcp")
    for manifest in manifests(tf):
        assert strict_validator.errors(manifest) == [], manifest["metadata"]["name"]


# --- options and validation ---------------------------------------------------------------


def test_without_range_column_or_owner_role_there_are_no_range_keys_or_grants() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        SnowflakeToMetaflow(
            stack, "orders", metaflow=metaflow, event="orders.changed", database="DB",
            schema="S", table="T", warehouse="WH", consumer=IRSA,
            minimum_trigger_interval_seconds=60, topic_kms_key_arn=KEY, encryption="kms",
        )

    tf = synth(with_aws(build))
    # A created queue key lets SNS encrypt for this topic only.
    statements = json.loads(only(tf, "aws_kms_key")["policy"])["Statement"]
    (sns,) = [s for s in statements if s.get("Principal") == {"Service": "sns.amazonaws.com"}]
    assert sns["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert sns["Condition"]["ArnEquals"]["aws:SourceArn"].startswith("${aws_sns_topic.orders_topic")
    assert "snowflake_grant_privileges_to_account_role" not in tf["resource"]
    task = only(tf, "snowflake_task")
    assert task["user_task_minimum_trigger_interval_in_seconds"] == 60
    assert only(tf, "aws_sns_topic")["kms_master_key_id"] == KEY
    policy = json.loads(
        next(p for n, p in resources(tf, "aws_iam_role_policy").items()
             if "snowflake" in n)["policy"]
    )
    assert policy["Statement"][1] == {
        "Sid": "EncryptForTopic",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": KEY,
    }
    body = only(tf, "snowflake_procedure_sql")["procedure_definition"]
    assert "range_min" not in body and "'column'" not in body
    (sensor,) = manifests(tf, "Sensor")
    program = sensor["spec"]["dependencies"][0]["transform"]["jq"]
    for key in RANGE_KEYS:
        assert f'"{key}":' not in program
    for key in PAYLOAD_KEYS:
        assert f'"{key}":' in program


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE = {"event": "orders.changed", "database": "DB", "schema": "S", "table": "T",
        "warehouse": "WH"}


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"table": 'ORDERS"; DROP TABLE X; --'}, "table", 'ORDERS"; DROP TABLE X; --'),
        ({"table": "ORD;ERS"}, "table", "ORD;ERS"),
        ({"table": "O'RDERS"}, "table", "O'RDERS"),
        ({"schema": "SALES\nX"}, "schema", "SALES\nX"),
        ({"database": "my db"}, "database", "my db"),
        ({"database": "DB.SALES"}, "database", "DB.SALES"),
        ({"warehouse": "WH;"}, "warehouse", "WH;"),
        ({"warehouse": ""}, "warehouse", ""),
        ({"range_column": "A B"}, "range_column", "A B"),
        ({"owner_role": "ROLE'"}, "owner_role", "ROLE'"),
        ({"table": "1ORDERS"}, "table", "1ORDERS"),
        ({"consumer": None}, "consumer", None),
        ({"project": "acme-ml"}, "project", "acme-ml"),
        ({"cloud": "azure"}, "cloud", "azure"),
        ({"cloud": "gcp"}, "consumer", "<IRSA>"),
        ({"cloud": "gcp", "consumer": None}, "project", None),
        ({"cloud": "gcp", "consumer": None, "project": "Acme"}, "project", "Acme"),
        (
            {"cloud": "gcp", "consumer": None, "project": "acme-ml", "encryption": "kms"},
            "encryption",
            "kms",
        ),
        ({"minimum_trigger_interval_seconds": 0}, "minimum_trigger_interval_seconds", 0),
        ({"minimum_trigger_interval_seconds": True}, "minimum_trigger_interval_seconds", True),
        ({"topic_kms_key_arn": "alias/aws/sns"}, "topic_kms_key_arn", "alias/aws/sns"),
        ({"name": "Bad_Name"}, "name", "Bad_Name"),
    ],
)
def test_bad_input_is_rejected_before_anything_is_created(
    kwargs: dict[str, Any], field: str, value: Any
) -> None:
    def build(stack: Any, metaflow: Any) -> None:
        args = {**BASE, "consumer": IRSA, **kwargs}
        with pytest.raises(BlueprintError) as caught:
            SnowflakeToMetaflow(stack, "bad", metaflow=metaflow, **args)
        expected = IRSA if value == "<IRSA>" else value
        assert (caught.value.field, caught.value.value) == (field, expected)
        created = stack.node.try_find_child("bad")
        assert created is None or created.node.children == []

    tf = synth(with_aws(build))
    assert not [t for t in tf.get("resource", {}) if t.startswith("snowflake_")]


def test_a_terraform_token_name_is_checked_by_terraform_before_any_sql_exists() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        from metaflow_blueprints.runtime import TerraformVariable

        table = TerraformVariable(stack, "table", type="string").string_value
        SnowflakeToMetaflow(
            stack, "orders", metaflow=metaflow, consumer=IRSA, **{**BASE, "table": table}
        )

    tf = synth(with_aws(build))
    condition = '${can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.table))}'
    for type_ in ("snowflake_stream_on_table", "snowflake_procedure_sql", "snowflake_task"):
        (check,) = only(tf, type_)["lifecycle"]["precondition"]
        assert check["condition"] == condition, type_
    assert only(tf, "snowflake_stream_on_table")["table"] == '"DB"."S"."${var.table}"'
    # (tests/snowflake/test_sql.py has Terraform evaluate that condition on hostile values.)
    (sensor,) = manifests(tf, "Sensor")
    paths = [f["path"] for f in sensor["spec"]["dependencies"][0]["filters"]["data"]]
    assert "metaflow.table" not in paths and "metaflow.schema" in paths


# --- the example flow in Metaflow ------------------------------------------------------------

FLOW = REPO / "examples" / "flows" / "snowflake_orders_flow.py"
METAFLOW_WEBHOOK = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "EventSource",
    "metadata": {"name": "argo-events-webhook", "namespace": "metaflow"},
    "spec": {
        "webhook": {
            "metaflow-event": {"endpoint": "/metaflow-event", "port": "12000", "method": "POST"}
        }
    },
}


def test_example_flow_loads_in_metaflow(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(FLOW), "show"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
        env={"METAFLOW_DEFAULT_METADATA": "local", "METAFLOW_DEFAULT_DATASTORE": "local",
             "USERNAME": "tester", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Step start" in result.stdout


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("first_batch", [False, True])
def test_metaflows_own_sensor_starts_the_flow_with_every_payload_key(
    snowflake_stack: dict[str, Any], first_batch: bool
) -> None:
    message = sample("change_raw")
    expected = dict(EXPECTED["payload"])
    if first_batch:  # no previous batch; only deletes: no range values
        message.update(window_start=None)
        message["summary"].update(inserted=0, updated=0, min=None, max=None)
        expected.update(window_start=None, inserted=0, updated=0, range_min=None, range_max=None)
    (posted,) = replay_events(snowflake_stack, message, source=SOURCE, now=NOW)
    compiled = subprocess.run(
        [sys.executable, str(REPO / "tests" / "metaflow_sensor.py"), str(FLOW),
         "SnowflakeOrdersFlow", "metaflow"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    sensor = _drop_nulls(json.loads(compiled.stdout))
    result = replay(stack_from_manifests([METAFLOW_WEBHOOK, sensor]), event=posted, now=NOW)
    (fired,) = result.fired
    parameters = {
        p["name"]: p["value"] for p in fired["resource"]["spec"]["arguments"]["parameters"]
    }
    mapped = {k: json.loads(v) for k, v in parameters.items() if not k.startswith("snowflake")}
    # (A null reaches Argo as the parameter value null, which Metaflow skips for parameters
    # whose default is None: the example flow's optional ones.)
    assert mapped == {k: v for k, v in expected.items() if k not in ENVELOPE_KEYS}
    (carried,) = [json.loads(v) for k, v in parameters.items() if k.startswith("snowflake")]
    assert carried == posted["payload"]
