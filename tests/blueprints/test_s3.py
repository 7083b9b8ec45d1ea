"""S3ToMetaflow: notification merging, overlap errors, validation, replayed payloads."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.argo import EventFilters, ExprFilter
from metaflow_blueprints.blueprints.s3 import S3ToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.replay.testing import assert_no_trigger, replay_events
from tests.helpers import IRSA, manifests, resources, synth, with_aws

EVENTS = Path(__file__).resolve().parents[2] / "examples" / "events" / "aws"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
RAW = "aws-raw-uploads/s3-raw-uploaded"
CURATED = "aws-curated-tables/s3-curated-created"


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def s3(stack: Any, metaflow: Any, id: str, **kwargs: Any) -> S3ToMetaflow:
    kwargs.setdefault("bucket_name", "raw-data")
    kwargs.setdefault("event", "s3.object.created")
    return S3ToMetaflow(stack, id, metaflow=metaflow, consumer=IRSA, **kwargs)


# --- merging and overlap -------------------------------------------------------------------


def test_two_blueprints_on_one_bucket_share_one_notification() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "csv", prefix="in/", suffix=".csv")
        s3(stack, metaflow, "json", prefix="in/", suffix=".json", event="s3.json.created")
        s3(stack, metaflow, "eb", prefix="in/", delivery="eventbridge", event="s3.eb")
        s3(stack, metaflow, "other", bucket_name="other-bucket")

    tf = synth(with_aws(build))
    notifications = {n["bucket"]: n for n in resources(tf, "aws_s3_bucket_notification").values()}
    assert set(notifications) == {"raw-data", "other-bucket"}
    raw = notifications["raw-data"]
    assert [(q["filter_prefix"], q["filter_suffix"]) for q in raw["queue"]] == [
        ("in/", ".csv"),
        ("in/", ".json"),
    ]
    assert [q["id"] for q in raw["queue"]] == ["mfb-test-csv", "mfb-test-json"]
    assert raw["eventbridge"] is True
    assert sorted(d.split(".")[0] for d in raw["depends_on"]) == ["aws_sqs_queue_policy"] * 2
    assert "eventbridge" not in notifications["other-bucket"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"prefix": "in/"}, {"prefix": "in/2026/"}),
        ({}, {"suffix": ".csv"}),
        ({"prefix": "in/", "suffix": ".csv"}, {"prefix": "in/", "suffix": "data.csv"}),
        ({"events": ["s3:ObjectCreated:*"]}, {"events": ["s3:ObjectCreated:Put"]}),
    ],
)
def test_overlapping_rules_fail_naming_both_blueprints(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    created: list[S3ToMetaflow] = []

    def build(stack: Any, metaflow: Any) -> None:
        created.append(s3(stack, metaflow, "first", **first))
        with pytest.raises(BlueprintError) as caught:
            s3(stack, metaflow, "second", event="s3.second", **second)
        message = str(caught.value)
        assert "'test/first'" in message and "'test/second'" in message
        assert "raw-data" in message and "delivery='eventbridge'" in message
        # Nothing of the rejected blueprint was created.
        assert stack.node.try_find_child("second").node.children == []

    tf = synth(with_aws(build))
    (notification,) = resources(tf, "aws_s3_bucket_notification").values()
    assert len(notification["queue"]) == 1


def test_disjoint_rules_and_event_types_do_not_overlap() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "a", prefix="a/")
        s3(stack, metaflow, "b", prefix="b/", event="s3.b")
        s3(stack, metaflow, "c", prefix="a/", events=["s3:ObjectRemoved:*"], event="s3.c")

    tf = synth(with_aws(build))
    (notification,) = resources(tf, "aws_s3_bucket_notification").values()
    assert len(notification["queue"]) == 3


# --- validation ----------------------------------------------------------------------------

ANY_FILTERS = EventFilters.any([ExprFilter.exists("body.a"), ExprFilter.exists("body.b")])


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"bucket_name": "arn:aws:s3:::raw"}, "bucket_name", "arn:aws:s3:::raw"),
        ({"bucket_name": "s3://raw-data"}, "bucket_name", "s3://raw-data"),
        ({"events": ["ObjectCreated"]}, "events", "ObjectCreated"),
        ({"events": "s3:ObjectCreated:*"}, "events", "s3:ObjectCreated:*"),
        ({"delivery": "sns"}, "delivery", "sns"),
        ({"prefix": ""}, "prefix", ""),
        ({"event": "s3 created"}, "event", "s3 created"),
        (
            {"encryption": "kms", "kms_key_arn": "arn:aws:kms:us-east-1:1:alias/aws/sqs"},
            "kms_key_arn",
            "arn:aws:kms:us-east-1:1:alias/aws/sqs",
        ),
        (
            {"kms_key_arn": "arn:aws:kms:us-east-1:1:key/x"},
            "kms_key_arn",
            "arn:aws:kms:us-east-1:1:key/x",
        ),
        ({"max_receive_count": 0}, "max_receive_count", 0),
        ({"delivery": "eventbridge", "events": ["s3:Replication:*"]}, "events", "s3:Replication:*"),
        ({"consumer": "irsa"}, "consumer", "irsa"),
        # An 'any' filter set cannot be combined with the bridge's own required checks.
        ({"filters": ANY_FILTERS}, "EventFilters", ("and", "or")),
    ],
)
def test_bad_input_is_rejected_before_anything_is_created(
    kwargs: dict[str, Any], field: str, value: Any
) -> None:
    def build(stack: Any, metaflow: Any) -> None:
        args = {"bucket_name": "raw-data", "event": "s3.object.created", "consumer": IRSA, **kwargs}
        with pytest.raises(BlueprintError) as caught:
            S3ToMetaflow(stack, "bad", metaflow=metaflow, **args)
        assert caught.value.field == field
        assert caught.value.value == value
        bad = stack.node.try_find_child("bad")  # None: refused before the construct existed
        assert bad is None or bad.node.children == []

    tf = synth(with_aws(build))
    assert "aws_sqs_queue" not in tf.get("resource", {})


def test_queue_and_queue_arn_are_exclusive() -> None:
    from metaflow_blueprints.aws.queue import EventQueue

    def build(stack: Any, metaflow: Any) -> None:
        queue = EventQueue(stack, "shared")
        with pytest.raises(BlueprintError, match="give one or neither"):
            s3(stack, metaflow, "x", queue=queue, queue_arn="arn:aws:sqs:us-east-1:1:q")

    synth(with_aws(build))


def test_existing_queue_arn_is_consumed_without_touching_its_policy() -> None:
    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "byo", queue_arn="arn:aws:sqs:us-east-1:123456789012:existing")

    tf = synth(with_aws(build))
    assert "aws_sqs_queue" not in tf["resource"] and "aws_sqs_queue_policy" not in tf["resource"]
    (notification,) = resources(tf, "aws_s3_bucket_notification").values()
    assert notification["queue"][0]["queue_arn"] == "arn:aws:sqs:us-east-1:123456789012:existing"
    (policy,) = resources(tf, "aws_iam_role_policy").values()
    assert json.loads(policy["policy"])["Statement"][0]["Resource"].endswith(":existing")


# --- replay of realistic payloads (through the reference stack) --------------------------


def test_put_with_encoded_key_posts_the_decoded_key(aws_stack: dict[str, Any]) -> None:
    (event,) = replay_events(aws_stack, sample("s3_put_encoded_key"), source=RAW, now=NOW)
    key = "uploads/2026/Q1 report été ✓.csv"
    assert event == {
        "name": "s3.raw.uploaded",
        "payload": {
            "name": "s3.raw.uploaded",
            "id": f"s3://mfb-example-raw/{key}#0055AED6DCD90281E5",
            "timestamp": 1767262830,
            "utc_date": "20260101",
            "bucket": "mfb-example-raw",
            "key": key,
            "size": 1024,
            "etag": "d41d8cd98f00b204e9800998ecf8427e",
            "version_id": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
            "sequencer": "0055AED6DCD90281E5",
            "event_name": "ObjectCreated:Put",
            "event_time": "2026-01-01T10:20:30.123Z",
            "region": "us-east-1",
        },
    }


def test_s3_test_event_starts_nothing(aws_stack: dict[str, Any]) -> None:
    result = assert_no_trigger(aws_stack, sample("s3_test_event"), source=RAW, now=NOW)
    assert any("does not exist" in line for line in result.explain)


def test_key_outside_the_prefix_starts_nothing(aws_stack: dict[str, Any]) -> None:
    result = assert_no_trigger(aws_stack, sample("s3_put_outside_prefix"), source=RAW, now=NOW)
    assert any("metaflow.key" in line and "no match" in line for line in result.explain)


def test_wrong_suffix_and_other_event_types_start_nothing(aws_stack: dict[str, Any]) -> None:
    message = sample("s3_put_encoded_key")
    message["Records"][0]["s3"]["object"]["key"] = "uploads/2026/report.parquet"
    assert_no_trigger(aws_stack, message, source=RAW, now=NOW)
    removed = sample("s3_put_encoded_key")
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert_no_trigger(aws_stack, removed, source=RAW, now=NOW)


def test_eventbridge_object_created_posts_the_key_as_is(aws_stack: dict[str, Any]) -> None:
    (event,) = replay_events(
        aws_stack, sample("eventbridge_object_created"), source=CURATED, now=NOW
    )
    key = "tables/orders/part 0001 é.parquet"
    assert event["payload"] == {
        "name": "s3.curated.created",
        "id": f"s3://mfb-example-curated/{key}#00617F08299329D189",
        "timestamp": 1767262830,
        "utc_date": "20260101",
        "bucket": "mfb-example-curated",
        "key": key,
        "size": 5242880,
        "etag": "b1946ac92492d2347c6235b4d2611184",
        "version_id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        "sequencer": "00617F08299329D189",
        "event_name": "Object Created",
        "event_time": "2026-01-01T10:20:30Z",
        "region": "us-east-1",
    }


def test_eventbridge_other_detail_type_starts_nothing(aws_stack: dict[str, Any]) -> None:
    message = sample("eventbridge_object_created")
    message["detail-type"] = "Object Deleted"
    assert_no_trigger(aws_stack, message, source=CURATED, now=NOW)


# --- one queue, one EventSource; every sensor checks its bucket ------------------------


def _record(bucket: str) -> dict[str, Any]:
    event = sample("s3_put_encoded_key")
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    return event


def test_two_blueprints_on_one_event_queue_are_refused() -> None:
    from metaflow_blueprints.aws.queue import EventQueue

    def build(stack: Any, metaflow: Any) -> None:
        queue = EventQueue(stack, "shared")
        s3(stack, metaflow, "a", bucket_name="bucket-a", queue=queue)
        s3(stack, metaflow, "b", bucket_name="bucket-b", queue=queue, event="s3.b")

    with pytest.raises(BlueprintError, match="already consumed by test/a") as err:
        synth(with_aws(build))
    assert str(err.value).startswith("queue=")


def test_two_blueprints_on_one_queue_arn_are_refused() -> None:
    arn = "arn:aws:sqs:us-east-1:123456789012:shared"

    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "a", bucket_name="bucket-a", queue_arn=arn)
        s3(stack, metaflow, "b", bucket_name="bucket-b", queue_arn=arn, event="s3.b")

    with pytest.raises(BlueprintError, match="already consumed"):
        synth(with_aws(build))


@pytest.mark.parametrize("delivery", ["notification", "eventbridge"])
def test_an_upload_to_bucket_a_starts_only_a_s_event(delivery: str) -> None:
    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "a", bucket_name="bucket-a", event="s3.a", delivery=delivery)
        s3(stack, metaflow, "b", bucket_name="bucket-b", event="s3.b", delivery=delivery)

    tf = synth(with_aws(build))
    if delivery == "notification":
        message: dict[str, Any] = _record("bucket-a")
    else:
        message = json.loads((EVENTS / "eventbridge_object_created.json").read_text())
        message["detail"]["bucket"]["name"] = "bucket-a"
    # A's queue: A's event with bucket A. The same message on B's queue (a stray or
    # misrouted delivery) starts nothing: B's sensor checks the bucket.
    (event,) = replay_events(tf, message, source="test-a/s3-a", now=NOW)
    assert event["name"] == "s3.a" and event["payload"]["bucket"] == "bucket-a"
    assert_no_trigger(tf, message, source="test-b/s3-b", now=NOW)


def test_a_token_bucket_is_checked_by_a_rendered_expression() -> None:
    from metaflow_blueprints.runtime import TerraformVariable

    def build(stack: Any, metaflow: Any) -> None:
        bucket = TerraformVariable(stack, "bucket", type="string").string_value
        s3(stack, metaflow, "a", bucket_name=bucket)

    tf = synth(with_aws(build))
    text = json.dumps(tf["resource"]["kubernetes_manifest"])
    assert "bucket == '${var.bucket}'" in text
    assert "TfToken" not in text


def test_queue_arn_gives_the_event_source_its_account_and_region() -> None:
    from metaflow_blueprints.runtime import TerraformVariable

    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "far", queue_arn="arn:aws:sqs:eu-west-1:210987654321:theirs")
        arn = TerraformVariable(stack, "arn", type="string").string_value
        s3(stack, metaflow, "tok", bucket_name="other-bucket", queue_arn=arn, event="s3.t")

    tf = synth(with_aws(build))
    sources = {m["metadata"]["name"]: m for m in manifests(tf, "EventSource")}
    (far,) = sources["test-far"]["spec"]["sqs"].values()
    assert (far["queue"], far["region"], far["queueAccountId"]) == (
        "theirs", "eu-west-1", "210987654321"
    )
    (tok,) = sources["test-tok"]["spec"]["sqs"].values()
    assert tok["region"] == '${element(split(":", var.arn), 3)}'
    assert tok["queueAccountId"] == '${element(split(":", var.arn), 4)}'


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:sqs:us-east-1:1:q", "arn:aws:sns:us-east-1:123456789012:q",
     "arn:aws:sqs::123456789012:q", "arn:aws:sqs:us-east-1:123456789012"],
)
def test_a_malformed_queue_arn_is_refused(arn: str) -> None:
    def build(stack: Any, metaflow: Any) -> None:
        s3(stack, metaflow, "x", queue_arn=arn)

    with pytest.raises(BlueprintError, match="not an SQS queue ARN"):
        synth(with_aws(build))
