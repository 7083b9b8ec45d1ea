"""End to end: our bridge sensors (jq transform + filters + http payload) on realistic input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from replay_fixtures import (
    BRIDGE_JQ,
    NOW,
    bridge_sensor,
    sqs_eventsource,
    webhook_eventsource,
)

from metaflow_blueprints.replay import replay
from metaflow_blueprints.replay.testing import (
    assert_no_trigger,
    replay_events,
    stack_from_manifests,
)

AUTH = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
PUSH = {"ref": "refs/heads/main", "after": "abc123", "commits": [{}, {}],
        "repository": {"full_name": "Org/Repo"}}

S3_NOTIFICATION = {"Records": [{
    "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
    "eventTime": "2025-01-15T10:20:30.123Z",
    "s3": {"bucket": {"name": "my-bucket"},
           "object": {"key": "incoming/2025/report+q1.csv", "size": 1024}},
}]}


def test_webhook_push_produces_exact_metaflow_event(webhook_stack: dict[str, Any]) -> None:
    result = replay(webhook_stack, event=PUSH, headers=AUTH, now=NOW)
    assert len(result.fired) == 1
    fired = result.fired[0]
    assert fired["url"] == "http://argo-events-webhook-eventsource-svc.default:12000/metaflow-event"
    assert fired["method"] == "POST"
    assert fired["headers"] == {
        "Content-Type": "application/json",
        "Authorization": {"secretKeyRef": {"name": "metaflow-webhook-auth", "key": "header"}},
    }
    event_id = result.event["context"]["id"] if result.event else None
    # value-only src returns the literal value; jq output keys are sorted (Go map marshal);
    # the contextKey parameter is appended after, at the end of the payload object.
    assert fired["metaflow_event"] == {
        "name": "data.updated",
        "payload": {"branch": "main", "commits": "2", "id": "abc123", "name": "github.push",
                    "repo": "org/repo", "timestamp": 1767268800, "utc_date": "20260101",
                    "event_id": event_id},
    }
    assert fired["body_text"].startswith('{"name":"data.updated","payload":{"branch":"main",')


def test_webhook_headers_are_canonicalised_and_auth_masked(webhook_stack: dict[str, Any]) -> None:
    result = replay(webhook_stack, event=PUSH, now=NOW,
                    headers={"authorization": "Bearer x", "x-github-event": "push"})
    assert result.event is not None
    assert result.event["data"]["header"] == {
        "Authorization": ["*** Masked Auth Secret ***"], "X-Github-Event": ["push"]}


def test_webhook_without_authorization_is_rejected(webhook_stack: dict[str, Any]) -> None:
    # authSecret set and no "Authorization: Bearer" header: 401, nothing is published.
    result = assert_no_trigger(webhook_stack, PUSH, now=NOW)
    assert result.event is None
    assert result.dropped is not None and result.dropped.startswith("401")


def test_webhook_other_branch_is_filtered_out(webhook_stack: dict[str, Any]) -> None:
    result = assert_no_trigger(webhook_stack, {**PUSH, "ref": "refs/heads/main-old"},
                               headers=AUTH, now=NOW)
    assert any("no match" in line for line in result.explain)


def test_webhook_missing_presence_field_is_dropped(webhook_stack: dict[str, Any]) -> None:
    push = {k: v for k, v in PUSH.items() if k != "after"}
    result = assert_no_trigger(webhook_stack, push, headers=AUTH, now=NOW)
    assert any("path 'body.after' does not exist" in line for line in result.explain)


def test_webhook_non_json_body_is_a_400(webhook_stack: dict[str, Any]) -> None:
    result = assert_no_trigger(webhook_stack, b"not json", headers=AUTH, now=NOW)
    assert result.dropped is not None and result.dropped.startswith("400")


def test_sqs_s3_notification(sqs_stack: dict[str, Any]) -> None:
    events = replay_events(sqs_stack, S3_NOTIFICATION, now=NOW)
    # jq receives float64 numbers (json.Unmarshal into interface{}), output re-marshalled
    assert events == [{"name": "data.updated", "payload": {
        "bucket": "my-bucket", "key": "incoming/2025/report q1.csv", "name": "s3.object.created",
        "size": 1024, "timestamp": 1736936430}}]


def test_sqs_s3_test_event_is_dropped(sqs_stack: dict[str, Any]) -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "my-bucket"}
    result = assert_no_trigger(sqs_stack, test_event, now=NOW)
    # the jq program fails on .body.Records[0] of null? no: null[0] is null in jq, and
    # `null | sub(...)` errors, so the transform fails and the event is dropped.
    assert any("transform failed" in line or "does not exist" in line
               for line in result.explain)


def test_sqs_non_json_body_with_jsonbody_true_is_dropped(sqs_stack: dict[str, Any]) -> None:
    result = assert_no_trigger(sqs_stack, b"hello world", now=NOW)
    assert result.dropped is not None and "not valid JSON" in result.dropped


def test_sqs_jsonbody_false_makes_body_paths_fail() -> None:
    sensor = bridge_sensor("s", "aws-sqs", "uploads", ". + {metaflow: {k: .body}}",
                           {"data": [{"path": "body.Records.0.eventName", "type": "string",
                                      "value": ["^ObjectCreated:"]}]})
    stack = stack_from_manifests([sqs_eventsource(json_body=False), sensor])
    result = assert_no_trigger(stack, S3_NOTIFICATION, now=NOW)
    assert result.event is not None
    raw = json.dumps(S3_NOTIFICATION, separators=(",", ":")).encode()
    assert result.event["data"]["body"] == base64.b64encode(raw).decode()
    assert any("path 'body.Records.0.eventName' does not exist" in x for x in result.explain)


def test_sqs_message_attributes_shape() -> None:
    sensor = bridge_sensor("s", "aws-sqs", "uploads", ". + {metaflow: {o: .messageAttributes}}")
    stack = stack_from_manifests([sqs_eventsource(), sensor])
    result = replay(stack, event={"a": 1}, attributes={"origin": "billing"}, now=NOW)
    assert result.event is not None
    assert result.event["data"]["messageAttributes"] == {"origin": {
        "BinaryListValues": None, "BinaryValue": None, "DataType": "String",
        "StringListValues": None, "StringValue": "billing"}}


@pytest.mark.parametrize("json_body", [True, False])
def test_pubsub_wrapping(json_body: bool) -> None:
    es = {"apiVersion": "argoproj.io/v1alpha1", "kind": "EventSource",
          "metadata": {"name": "gcp-pubsub"},
          "spec": {"pubSub": {"example": {"jsonBody": json_body, "topic": "t"}}}}
    sensor = bridge_sensor("s", "gcp-pubsub", "example", ". + {metaflow: {b: .body}}")
    stack = stack_from_manifests([es, sensor])
    message = {"data": base64.b64encode(b'{"name":"incoming/a.csv"}').decode(),
               "attributes": {"eventType": "OBJECT_FINALIZE"}, "messageId": "42",
               "publishTime": "2025-01-15T10:20:30.123Z"}
    result = replay(stack, event=message, now=NOW)
    assert result.event is not None
    data = result.event["data"]
    assert data["publishTime"] == "2025-01-15 10:20:30.123 +0000 UTC"
    assert data["id"] == "42"
    assert data["attributes"] == {"eventType": "OBJECT_FINALIZE"}
    if json_body:
        assert data["body"] == {"name": "incoming/a.csv"}
    else:
        assert data["body"] == base64.b64encode(b'{"name":"incoming/a.csv"}').decode()
    assert result.metaflow_events == [{"name": "data.updated", "payload": {"b": data["body"]}}]


def test_bridge_jq_is_deterministic_with_now() -> None:
    stack = stack_from_manifests([
        webhook_eventsource(auth=False),
        bridge_sensor("s", "github-push", "push", BRIDGE_JQ),
    ])
    a = replay_events(stack, PUSH, now=NOW)
    b = replay_events(stack, PUSH, now=NOW)
    assert a == b
    assert a[0]["payload"]["timestamp"] == 1767268800
