"""EventQueue: consumer pinning (admins, opt-out, bad input; parliament on the document)
and the dead-letter alarm on every DLQ the library creates."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from parliament import analyze_policy_string

from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.queue import EventQueue
from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow
from metaflow_blueprints.blueprints.s3 import S3ToMetaflow
from metaflow_blueprints.errors import BlueprintError
from tests.helpers import IRSA, resources, synth, with_aws

ROLE = "arn:aws:iam::123456789012:role/consumer"
ADMIN = "arn:aws:iam::123456789012:role/sqs-operator"


def _main_policy(**props: Any) -> dict[str, Any]:
    def build(stack: Any) -> None:
        EventQueue(stack, "q", name="q", **props).allow_consumer(ROLE)

    terraform = synth(build)
    (policy,) = [
        p for n, p in resources(terraform, "aws_sqs_queue_policy").items() if "dlq" not in n
    ]
    return json.loads(policy["policy"])  # type: ignore[no-any-return]


def _deny(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s["Sid"] == "DenyReceiveExceptConsumers"]


def test_consumer_and_admins_are_the_only_exceptions() -> None:
    (deny,) = _deny(_main_policy(consumer_admin_principals=[ADMIN]))
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [ROLE, ADMIN]}}


def test_opt_out_leaves_it_to_iam() -> None:
    assert _deny(_main_policy(pin_consumers=False)) == []


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"pin_consumers": "yes"}, "pin_consumers"),
        ({"consumer_admin_principals": ADMIN}, "consumer_admin_principals"),
        ({"consumer_admin_principals": ["operator"]}, "consumer_admin_principals"),
        ({"consumer_admin_principals": ["arn:aws:s3:::bucket"]}, "consumer_admin_principals"),
    ],
)
def test_bad_pinning_props(props: dict[str, Any], field: str) -> None:
    def build(stack: Any) -> None:
        EventQueue(stack, "q", name="q", **props)

    with pytest.raises(BlueprintError) as info:
        synth(build)
    assert info.value.field == field


def test_pinned_queue_policy_is_parliament_clean() -> None:
    document = policies.queue_policy(
        "arn:aws:sqs:us-east-1:123456789012:q",
        producers=[
            policies.ServiceProducer("s3.amazonaws.com", "arn:aws:s3:::bucket", "123456789012")
        ],
        consumers=[ROLE],
        consumer_admins=[ADMIN],
    )
    analyzed = analyze_policy_string(
        json.dumps(document), ignore_private_auditors=True, include_community_auditors=False
    )
    assert [f"{f.issue}: {f.detail}" for f in analyzed.findings] == []


# --- dead letters ----------------------------------------------------------------------

TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:existing"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
_REF = re.compile(r"^\$\{aws_sqs_queue\.([A-Za-z0-9_]+)\.name\}$")


def _alarms_by_queue(tf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarm of each queue resource, keyed by the queue's logical id (from the dimension)."""
    out: dict[str, dict[str, Any]] = {}
    for alarm in resources(tf, "aws_cloudwatch_metric_alarm").values():
        match = _REF.fullmatch(alarm["dimensions"]["QueueName"])
        assert match, alarm["dimensions"]
        assert match.group(1) not in out, "two alarms on one queue"
        out[match.group(1)] = alarm
    return out


def _dead_letter_queues(tf: dict[str, Any]) -> set[str]:
    return {
        logical
        for logical, queue in resources(tf, "aws_sqs_queue").items()
        if any(
            policy["redrive_policy"].find(f"aws_sqs_queue.{logical}.arn") >= 0
            for policy in resources(tf, "aws_sqs_queue_redrive_policy").values()
        )
    }


def _s3(stack: Any, metaflow: Any, id: str = "uploads", **kwargs: Any) -> S3ToMetaflow:
    kwargs.setdefault("bucket_name", "raw-data")
    return S3ToMetaflow(
        stack, id, metaflow=metaflow, event="s3.created", consumer=IRSA, **kwargs
    )


def test_every_created_dead_letter_queue_has_one_alarm(aws_stack: dict[str, Any]) -> None:
    """The reference stack (S3 both deliveries, DynamoDB, a shared-nothing EventQueue each)."""
    dlqs = _dead_letter_queues(aws_stack)
    assert len(dlqs) >= 3
    alarms = _alarms_by_queue(aws_stack)
    assert set(alarms) == dlqs
    queues = resources(aws_stack, "aws_sqs_queue")
    for logical, alarm in alarms.items():
        assert queues[logical]["name"].endswith("-dlq")
        assert alarm["alarm_name"] == queues[logical]["name"] + "-messages"
        assert (alarm["namespace"], alarm["metric_name"]) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        )
        assert (alarm["statistic"], alarm["comparison_operator"], alarm["threshold"]) == (
            "Maximum",
            "GreaterThanThreshold",
            0,
        )
        assert (alarm["period"], alarm["evaluation_periods"]) == (300, 1)
        assert alarm["treat_missing_data"] == "notBreaching"
        assert "alarm_actions" not in alarm


def test_dynamodb_queue_alarms_with_the_given_actions() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        DynamoDbToMetaflow(
            stack, "orders", metaflow=metaflow, table_name="orders", event="orders.new",
            consumer=IRSA, stream_arn=STREAM, dead_letter_alarm_actions=[TOPIC],
        )

    tf = synth(with_aws(build))
    ((logical, alarm),) = _alarms_by_queue(tf).items()
    assert logical in _dead_letter_queues(tf)
    assert alarm["alarm_actions"] == [TOPIC]


def test_opt_out_and_bring_your_own_queue_create_no_alarm() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        _s3(stack, metaflow, "off", dead_letter_alarm=False)
        _s3(stack, metaflow, "byo", bucket_name="other-data", queue_arn=QUEUE_ARN)
        own = EventQueue(stack, "own", name="own", dead_letter_alarm=False)
        _s3(stack, metaflow, "given", bucket_name="third-data", queue=own)
        EventQueue(stack, "nodlq", name="nodlq", dead_letter_queue=False)

    tf = synth(with_aws(build))
    assert len(_dead_letter_queues(tf)) == 2
    assert "aws_cloudwatch_metric_alarm" not in tf["resource"]


def test_an_event_queue_alarms_with_its_own_actions() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        EventQueue(stack, "q", name="q", dead_letter_alarm_actions=[TOPIC, TOPIC + "-2"])

    tf = synth(with_aws(build))
    ((logical, alarm),) = _alarms_by_queue(tf).items()
    assert resources(tf, "aws_sqs_queue")[logical]["name"] == "q-dlq"
    assert alarm["alarm_actions"] == [TOPIC, TOPIC + "-2"]


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"dead_letter_alarm_actions": ["arn:aws:s3:::bucket"]}, "dead_letter_alarm_actions",
         "arn:aws:s3:::bucket"),
        ({"dead_letter_alarm_actions": ["oncall"]}, "dead_letter_alarm_actions", "oncall"),
        ({"dead_letter_alarm_actions": TOPIC}, "dead_letter_alarm_actions", TOPIC),
        ({"dead_letter_alarm": "yes"}, "dead_letter_alarm", "yes"),
        ({"dead_letter_alarm": False, "dead_letter_alarm_actions": [TOPIC]},
         "dead_letter_alarm_actions", [TOPIC]),
        ({"queue_arn": QUEUE_ARN, "dead_letter_alarm_actions": [TOPIC]},
         "dead_letter_alarm_actions", [TOPIC]),
        ({"queue_arn": QUEUE_ARN, "dead_letter_alarm": False}, "dead_letter_alarm", False),
    ],
)
def test_bad_alarm_props_are_refused_before_anything_is_created(
    kwargs: dict[str, Any], field: str, value: Any
) -> None:
    def build(stack: Any, metaflow: Any) -> None:
        with pytest.raises(BlueprintError) as caught:
            _s3(stack, metaflow, "bad", **kwargs)
        assert (caught.value.field, caught.value.value) == (field, value)
        created = stack.node.try_find_child("bad")
        assert created is None or created.node.children == []

    synth(with_aws(build))


def test_event_queue_refuses_actions_without_a_dead_letter_queue() -> None:
    def build(stack: Any) -> None:
        EventQueue(stack, "q", dead_letter_queue=False, dead_letter_alarm_actions=[TOPIC])

    with pytest.raises(BlueprintError) as caught:
        synth(build)
    assert caught.value.field == "dead_letter_alarm_actions"
