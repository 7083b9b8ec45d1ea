"""DynamoDbToMetaflow: validation, pipe wiring and replayed stream records.

Envelope: with an SQS target, EventBridge Pipes maps a batch to SQS's batch API, one message
per record ("arrays of JSON records are passed through the pipe and then mapped to the
batch API of a supported ... target", Amazon SQS queue: max batch 10 —
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html),
and each record has the shape of the DynamoDB stream sample event in
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html
(eventID, eventName, eventVersion, eventSource "aws:dynamodb", awsRegion, dynamodb{Keys,
NewImage, OldImage, SequenceNumber, SizeBytes, StreamViewType}, eventSourceARN). Without an
input template the SQS message body is that record, which the samples below reproduce.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.replay.testing import assert_no_trigger, replay_events
from tests.helpers import IRSA, resources, synth, with_aws

EVENTS = Path(__file__).resolve().parents[2] / "examples" / "events" / "aws"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ORDERS = "aws-new-orders/orders-created"


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def test_insert_posts_table_keys_and_stream_metadata(aws_stack: dict[str, Any]) -> None:
    (event,) = replay_events(aws_stack, sample("dynamodb_insert"), source=ORDERS, now=NOW)
    assert event == {
        "name": "orders.created",
        "payload": {
            "name": "orders.created",
            "id": "c81e728d9d4c2f636f067f89cc14862c",
            "timestamp": 1767262830,
            "utc_date": "20260101",
            "table": "orders",
            "event_name": "INSERT",
            "order_id": "order#1001",
            "order_date": "20260101",
            "sequence_number": "111100000000000000000001",
            "approximate_creation_time": "2026-01-01T10:20:30Z",
        },
    }


def test_remove_starts_nothing_by_default(aws_stack: dict[str, Any]) -> None:
    result = assert_no_trigger(aws_stack, sample("dynamodb_remove"), source=ORDERS, now=NOW)
    assert any("body.eventName" in line and "no match" in line for line in result.explain)


def test_record_without_the_named_key_starts_nothing(aws_stack: dict[str, Any]) -> None:
    record = sample("dynamodb_insert")
    del record["dynamodb"]["Keys"]["pk"]
    assert_no_trigger(aws_stack, record, source=ORDERS, now=NOW)


def test_event_names_and_pipe_parameters_follow_the_props() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        DynamoDbToMetaflow(
            stack,
            "changes",
            metaflow=metaflow,
            table_name="orders",
            event="orders.changed",
            consumer=IRSA,
            event_names=["INSERT", "MODIFY"],
            stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
            starting_position="TRIM_HORIZON",
            batch_size=1,
            maximum_retry_attempts=3,
            maximum_record_age_in_seconds=600,
            encryption="kms",
        )

    tf = synth(with_aws(build))
    (pipe,) = resources(tf, "aws_pipes_pipe").values()
    params = pipe["source_parameters"]["dynamodb_stream_parameters"]
    assert (params["starting_position"], params["batch_size"]) == ("TRIM_HORIZON", 1)
    assert (params["maximum_retry_attempts"], params["maximum_record_age_in_seconds"]) == (3, 600)
    (criteria,) = pipe["source_parameters"]["filter_criteria"]["filter"]
    assert json.loads(criteria["pattern"]) == {"eventName": ["INSERT", "MODIFY"]}
    assert "aws_dynamodb_table" not in tf.get("data", {})
    policy = json.loads(
        next(p for n, p in resources(tf, "aws_iam_role_policy").items() if "pipe" in n)["policy"]
    )
    actions = {s["Sid"]: s["Action"] for s in policy["Statement"]}
    assert actions["ReadStream"] == [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    ]
    assert actions["SendToQueue"] == "sqs:SendMessage"
    assert actions["EncryptForQueue"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    send = next(s for s in policy["Statement"] if s["Sid"] == "SendToQueue")["Resource"]
    assert len(send) == 2 and "dlq" in send[1]


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"event_names": ["CREATE"]}, "event_names", "CREATE"),
        ({"keys": {"order-id": "pk"}}, "keys", "order-id"),
        ({"keys": {"table": "pk"}}, "keys", "table"),
        ({"keys": {"order_id": "a.b"}}, "keys['order_id']", "a.b"),
        ({"batch_size": 11}, "batch_size", 11),
        ({"maximum_record_age_in_seconds": 10}, "maximum_record_age_in_seconds", 10),
        ({"starting_position": "AT_TIMESTAMP"}, "starting_position", "AT_TIMESTAMP"),
        (
            {"table_name": "arn:aws:dynamodb:us-east-1:1:table/orders"},
            "table_name",
            "arn:aws:dynamodb:us-east-1:1:table/orders",
        ),
        (
            {"stream_arn": "arn:aws:dynamodb:us-east-1:1:table/orders"},
            "stream_arn",
            "arn:aws:dynamodb:us-east-1:1:table/orders",
        ),
        ({"queue_arn": "arn:aws:sqs:us-east-1:123456789012:q"}, "pipe_dead_letter_arn", None),
    ],
)
def test_bad_input_is_rejected_before_anything_is_created(
    kwargs: dict[str, Any], field: str, value: Any
) -> None:
    def build(stack: Any, metaflow: Any) -> None:
        args = {"table_name": "orders", "event": "orders.created", "consumer": IRSA, **kwargs}
        with pytest.raises(BlueprintError) as caught:
            DynamoDbToMetaflow(stack, "bad", metaflow=metaflow, **args)
        assert (caught.value.field, caught.value.value) == (field, value)
        bad = stack.node.try_find_child("bad")  # None: refused before the construct existed
        assert bad is None or bad.node.children == []

    tf = synth(with_aws(build))
    assert "aws_pipes_pipe" not in tf.get("resource", {})


def test_a_record_of_another_table_starts_nothing(aws_stack: dict[str, Any]) -> None:
    record = sample("dynamodb_insert")
    record["eventSourceARN"] = record["eventSourceARN"].replace("table/orders/", "table/other/")
    assert_no_trigger(aws_stack, record, source=ORDERS, now=NOW)


def test_a_token_table_name_is_json_encoded_in_jq_and_compared_for_real() -> None:
    from metaflow_blueprints.runtime import TerraformVariable

    def build(stack: Any, metaflow: Any) -> None:
        table = TerraformVariable(stack, "table", type="string").string_value
        DynamoDbToMetaflow(
            stack, "t", metaflow=metaflow, table_name=table, event="orders.changed",
            consumer=IRSA,
            stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/x",
        )

    tf = synth(with_aws(build))
    text = json.dumps(tf["resource"]["kubernetes_manifest"])
    assert "${jsonencode(var.table)}" in text
    assert "table == '${var.table}'" in text
    assert "TfToken" not in text
