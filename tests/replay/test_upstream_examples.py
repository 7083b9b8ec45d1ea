"""Fidelity: upstream example sensors and constructed payloads (read from ../shared).

Each case states the decision derived from argo-events.md next to it. Nothing is copied
into the repo; without the sibling shared/ directory these tests are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from replay_fixtures import shared_or_skip

from metaflow_blueprints.replay import replay, replay_published
from metaflow_blueprints.replay.testing import stack_from_manifests

Loader = Callable[[Path], list[dict[str, Any]]]
CTX = {"id": "c0d1", "source": "webhook", "specversion": "1.0", "type": "webhook",
       "datacontenttype": "application/json", "subject": "example",
       "time": "2025-01-15T10:20:31Z"}


def sensor_stack(load_yaml: Loader, *names: str) -> dict[str, Any]:
    root = shared_or_skip()
    docs: list[dict[str, Any]] = []
    for name in names:
        docs += [d for d in load_yaml(root / name) if d.get("kind") in ("Sensor", "EventSource")]
    return stack_from_manifests(docs)


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((shared_or_skip() / "event-payloads" / name).read_text())
    return loaded


def fired_names(result: Any) -> list[str]:
    return [f["trigger"] for f in result.fired]


ADVANCED = {"a": True, "b": {"c": 3.14, "d": "hello, world"}}
EXPR_DATA = {"a": "b", "a-longer-name": 10, "nested": {"path": {"can-get": {"longer": False}}}}
MULTI = {"a": "b", "c": 10, "d": {"e": False}}


@pytest.mark.parametrize(("example", "data", "passes"), [
    # a=true (bool), b.c=3.14 (number =), b.d: "hello,world" no match but "hello, world"
    # matches (any value): all three pass in and mode -> PASS (the example's own comment)
    ("filter-with-data-advanced.yaml", ADVANCED, True),
    # same data with b.d -> "bye": the string filter fails, and mode -> DROP
    ("filter-with-data-advanced.yaml", {**ADVANCED, "b": {"c": 3.14, "d": "bye"}}, False),
    # dataLogicalOperator or: a and b.c true, b.d false -> PASS
    ("filter-with-multiple-data-filters-in-or.yaml", ADVANCED, True),
    # or mode, every data filter false -> DROP
    ("filter-with-multiple-data-filters-in-or.yaml",
     {"a": False, "b": {"c": 1, "d": "x"}}, False),
    # exprs: a=="b" || c==10 is true, e==false is true -> PASS
    ("filter-with-expressions.yaml", EXPR_DATA, True),
    # e is true -> the second expr is false -> and mode DROP
    ("filter-with-expressions.yaml",
     {**EXPR_DATA, "nested": {"path": {"can-get": {"longer": True}}}}, False),
    # exprLogicalOperator or: a=="b"||c!=10 false (a="x", c=10), e==false true -> PASS
    ("filter-with-multiple-expr-filters-in-or.yaml", {**EXPR_DATA, "a": "x"}, True),
    # exprs pass, data (a matches "b", c=10, d.e false) pass -> PASS
    ("filter-with-multiple-filters.yaml", MULTI, True),
    # filtersLogicalOperator or, data in and mode fails (c > 20 false) but exprs pass -> PASS
    ("filter-with-multiple-filters-mixed.yaml", MULTI, True),
    # same, with exprs failing too (a="z", c=11, e true) -> no configured kind passes -> DROP
    ("filter-with-multiple-filters-mixed.yaml", {"a": "z", "c": 11, "d": {"e": True}}, False),
    # or everywhere: exprs pass -> PASS
    ("filter-with-multiple-filters-in-or.yaml", MULTI, True),
    # Lua: event.body.a == "b" and event.body.d.e == "z" -> PASS
    ("filter-script.yaml", {"body": {"a": "b", "d": {"e": "z"}}}, True),
    ("filter-script.yaml", {"body": {"a": "b", "d": {"e": "y"}}}, False),
    # unanchored regex: "hello" occurs in "well hello there" -> PASS
    ("filter-with-data-simple-1.yaml", {"body": {"message": "well hello there"}}, True),
    # neither "hello" nor "hey" occurs -> DROP
    ("filter-with-data-simple-1.yaml", {"body": {"message": "this is my first webhook"}}, False),
    # path 'bucket' does not exist -> error -> DROP (and mode)
    ("filter-with-data-simple-2.yaml", {"body": {"message": "x"}}, False),
    # number >, numeric strings coerced by gjson Float(): "51" > 50.0 -> PASS; 50 -> DROP
    ("filter-with-data-simple-4.yaml", {"body": {"value": "51"}}, True),
    ("filter-with-data-simple-4.yaml", {"body": {"value": 50}}, False),
])
def test_filter_examples(load_yaml: Loader, example: str, data: dict[str, Any],
                         passes: bool) -> None:
    stack = sensor_stack(load_yaml, f"sensors/{example}")
    # the example triggers map dataKey "name" (or body.message): provide it so that a passing
    # event really fires (a missing key would make the trigger fail, as upstream)
    data = {"name": "n", **data}
    result = replay_published(stack, context=CTX, data=data, explain=True)
    assert (len(result.fired) == 1) is passes, "\n".join(result.explain)


def test_context_filters_on_constructed_webhook_payload(load_yaml: Loader) -> None:
    event = payload("webhook-post-json.json")
    # context filter source: custom-webhook != "webhook" -> DROP
    stack = sensor_stack(load_yaml, "sensors/filter-with-context.yaml")
    assert replay_published(stack, context=event["context"], data=event["data"]).fired == []
    # source webhook, subject example, datacontenttype application/json all equal -> PASS
    stack = sensor_stack(load_yaml, "sensors/context-filter-webhook.yaml")
    result = replay_published(stack, context=event["context"], data=event["data"])
    assert fired_names(result) == ["done-workflow"]
    # the trigger fetches its workflow from S3: replay reports the source, not a resource
    assert result.fired[0]["resource"] is None and "s3" in result.fired[0]["source"]


@pytest.mark.parametrize(("clock", "passes"), [
    ("10:20:31", False),  # outside [02:30:00, 04:30:00) UTC -> DROP
    ("02:30:00", True),   # start is inclusive -> PASS
    ("04:30:00", False),  # stop is exclusive -> DROP
])
def test_time_filter_example(load_yaml: Loader, clock: str, passes: bool) -> None:
    stack = sensor_stack(load_yaml, "sensors/filter-with-time.yaml")
    ctx = {**CTX, "time": f"2025-01-15T{clock}Z"}
    result = replay_published(stack, context=ctx, data={"body": {"message": "m"}})
    assert bool(result.fired) is passes


def test_time_filter_across_midnight(load_yaml: Loader) -> None:
    # test-another-dep window 23:34:05 -> 00:24:05 spans midnight: 00:10 passes. The trigger
    # has no conditions, so it needs BOTH deps: one event alone never fires it.
    stack = sensor_stack(load_yaml, "sensors/time-filter-webhook.yaml")
    ctx = {**CTX, "subject": "example1", "time": "2025-01-15T00:10:00Z"}
    result = replay_published(stack, context=ctx, data={}, explain=True)
    assert result.fired == []
    assert any("test-another-dep: passed" in line for line in result.explain)
    assert any("not satisfied" in line for line in result.explain)


def test_time_filter_timezone(load_yaml: Loader) -> None:
    # 09:00-17:00 America/New_York; 15:00Z is 10:00 EST -> PASS, 23:00Z is 18:00 -> DROP
    stack = sensor_stack(load_yaml, "sensors/filter-with-time-timezone.yaml")
    assert replay_published(stack, context={**CTX, "time": "2025-01-15T15:00:00Z"}, data={}).fired
    assert not replay_published(stack, context={**CTX, "time": "2025-01-15T23:00:00Z"},
                                data={}).fired


def test_transform_example(load_yaml: Loader) -> None:
    stack = sensor_stack(load_yaml, "sensors/transform.yaml")
    # Lua transform sets body.message; the trigger's dataKey body is inserted as a JSON string
    result = replay_published(stack, context=CTX, data={"body": {"message": "hello"}})
    assert fired_names(result) == ["webhook-workflow-trigger"]
    params = result.fired[0]["resource"]["spec"]["arguments"]["parameters"]
    assert params[0]["value"] == '{"message":"updated"}'
    # jq `.body.message *= 2` repeats a string (jq and gojq agree); only trigger -1 listens
    ctx = {**CTX, "subject": "example-foo"}
    result = replay_published(stack, context=ctx, data={"body": {"message": "ab"}})
    assert fired_names(result) == ["webhook-workflow-trigger-1"]
    params = result.fired[0]["resource"]["spec"]["arguments"]["parameters"]
    assert params[0]["value"] == '{"message":"abab"}'


def test_conditions_examples(load_yaml: Loader) -> None:
    stack = sensor_stack(load_yaml, "sensors/dependencies-conditions.yaml")
    # conditions "test-dep": an "example" event fires only the first trigger
    assert fired_names(replay_published(stack, context=CTX, data={})) == [
        "webhook-workflow-trigger"]
    ctx = {**CTX, "subject": "example-foo"}
    assert fired_names(replay_published(stack, context=ctx, data={})) == [
        "webhook-workflow-trigger-2"]
    # "test-dep-webhook && test-dep-minio": one webhook event alone does not satisfy it
    stack = sensor_stack(load_yaml, "tutorials/06-trigger-conditions_sensor-02.yaml")
    assert replay_published(stack, context=CTX, data={"body": {"message": "m"}}).fired == []
    # no conditions = AND of all dependencies (webhook + calendar) -> nothing fires
    stack = sensor_stack(load_yaml, "sensors/multi-dependencies.yaml")
    assert replay_published(stack, context=CTX, data={"body": {"a": "x"}}).fired == []


def test_parameterization_tutorials(load_yaml: Loader) -> None:
    data = {"body": {"message": "hi", "dependencyName": "test-dep", "dataKey": "body.message",
                     "dest": "spec.arguments.parameters.0.value"}}

    def value_of(name: str) -> Any:
        stack = sensor_stack(load_yaml, f"tutorials/{name}")
        result = replay_published(stack, context=CTX, data=data)
        assert len(result.fired) == 1
        return result.fired[0]["resource"]["spec"]["arguments"]["parameters"][0]["value"]

    assert value_of("02-parameterization_sensor-01.yaml") == "webhook"   # contextKey type
    assert value_of("02-parameterization_sensor-02.yaml") == "hi"        # dataKey
    # body.unknown is missing -> the value fallback
    assert value_of("02-parameterization_sensor-03.yaml") == "wow! a default value."
    # prepend: new value + current ("hello world")
    assert value_of("02-parameterization_sensor-04.yaml") == "hihello world"
    # trigger-level parameters rewrite the workflow parameter's src/dest first
    assert value_of("02-parameterization_sensor-05.yaml") == "hi"


def test_complete_trigger_parameterization(load_yaml: Loader) -> None:
    stack = sensor_stack(load_yaml, "sensors/complete-trigger-parameterization.yaml")
    data = {"name": "from-event", "bucket": "b", "key": "k.yaml", "port": "-extra"}
    result = replay_published(stack, context=CTX, data=data)
    fired = result.fired[0]
    # trigger-level parameters patch the template: name, s3 bucket/key, endpoint append
    assert fired["trigger"] == "from-event"
    s3 = fired["source"]["s3"]
    assert (s3["bucket"]["name"], s3["bucket"]["key"]) == ("b", "k.yaml")
    assert s3["endpoint"] == "minio-service.argo-events:9000-extra"


def test_http_trigger_example(load_yaml: Loader) -> None:
    stack = sensor_stack(load_yaml, "sensors/http-trigger.yaml")
    ctx = {**CTX, "source": "minio", "type": "minio"}
    data = {"notification": [{"s3": {"bucket": {"name": "input"}}}]}
    fired = replay_published(stack, context=ctx, data=data).fired[0]
    # payload built with sjson: dataKey and contextKey type
    assert fired["body"] == {"bucket": "input", "type": "minio"}
    assert fired["method"] == "POST"
    assert "metaflow_event" not in fired  # not a managed bridge sensor


def test_http_trigger_secure_headers_example(load_yaml: Loader) -> None:
    stack = sensor_stack(load_yaml, "sensors/http-trigger-secure-headers.yaml")
    fired = replay_published(stack, context=CTX, data={"body": {}}).fired[0]
    assert fired["method"] == "GET"
    assert fired["headers"] == {"serviceToken": {"secretKeyRef": {
        "name": "dev-services-secret", "key": "serviceToken"}}}
    assert fired["body"] is None


def test_whole_event_parameter_has_base64_data(load_yaml: Loader) -> None:
    # filter-with-data-simple-3: src has only dependencyName -> whole event JSON, data base64
    stack = sensor_stack(load_yaml, "sensors/filter-with-data-simple-3.yaml")
    result = replay_published(stack, context=CTX, data={"body": {"value": 50.0}})
    value = json.loads(result.fired[0]["resource"]["spec"]["arguments"]["parameters"][0]["value"])
    assert value["context"]["subject"] == "example"
    import base64
    assert json.loads(base64.b64decode(value["data"])) == {"body": {"value": 50.0}}


def test_log_trigger_example(load_yaml: Loader) -> None:
    stack = sensor_stack(load_yaml, "sensors/log.yaml")
    ctx = {**CTX, "source": "calendar", "subject": "example-with-interval", "type": "calendar"}
    fired = replay_published(stack, context=ctx, data={"eventTime": "t"}).fired
    assert [f["kind"] for f in fired] == ["log"]


def test_upstream_eventsources_wrap_like_the_constructed_payloads(load_yaml: Loader) -> None:
    # SQS jsonBody: true + S3 notification body: same data as the constructed payload
    # (apart from messageId and the payload's illustrative metadata).
    expected = payload("sqs-jsonbody-true-s3-notification.json")["data"]
    stack = sensor_stack(load_yaml, "event-sources/aws-sqs.yaml", "sensors/aws-sqs.yaml")
    result = replay(stack, event=expected["body"],
                    now=datetime(2025, 1, 15, 10, 20, 31, tzinfo=timezone.utc))
    assert result.event is not None
    got = result.event["data"]
    assert got["body"] == expected["body"] and got["messageAttributes"] is None
    ctx = result.event["context"]
    assert (ctx["type"], ctx["source"], ctx["subject"]) == ("sqs", "aws-sqs", "example")
    # the sensor's dataKey body is inserted as the (compact, order-preserving) JSON string
    value = result.fired[0]["resource"]["spec"]["arguments"]["parameters"][0]["value"]
    assert json.loads(value) == expected["body"]
    assert value.startswith('{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3"')

    # webhook POST JSON with the same headers -> exactly the constructed data
    expected = payload("webhook-post-json.json")["data"]
    stack = sensor_stack(load_yaml, "event-sources/webhook.yaml", "sensors/webhook.yaml")
    headers = {"Accept": "*/*", "Authorization": "Bearer x", "Content-Length": "38",
               "Content-Type": "application/json", "User-Agent": "curl/8.5.0"}
    result = replay(stack, event=json.dumps(expected["body"]), headers=headers)
    assert result.event is not None and result.event["data"] == expected
    assert fired_names(result) == ["webhook-workflow-trigger"]

    # Pub/Sub jsonBody: true -> publishTime in Go time.String() form
    expected = payload("pubsub-jsonbody-true.json")["data"]
    stack = sensor_stack(load_yaml, "event-sources/gcp-pubsub.yaml", "sensors/gcp-pubsub.yaml")
    message = {"data": expected["body"], "attributes": expected["attributes"],
               "messageId": expected["id"], "publishTime": "2025-01-15T10:20:30.123Z"}
    result = replay(stack, event=message)
    assert result.event is not None and result.event["data"] == expected


def test_sqs_jsonbody_false_payload_template_decodes(load_yaml: Loader) -> None:
    # jsonBody false: body is base64; body.message does not exist, but a data filter with
    # template "{{ b64dec .Input }}" on "body" sees the decoded text.
    event = payload("sqs-jsonbody-false.json")
    sensor = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Sensor", "metadata": {"name": "s"},
              "spec": {"dependencies": [{
                  "name": "d", "eventSourceName": "aws-sqs", "eventName": "example",
                  "filters": {"data": [{"path": "body", "type": "string",
                                        "template": "{{ b64dec .Input }}",
                                        "value": ['"message": "hello"']}]}}],
                  "triggers": [{"template": {"name": "t", "log": {}}}]}}
    stack = stack_from_manifests([sensor])
    assert replay_published(stack, context=event["context"], data=event["data"]).fired
    sensor["spec"]["dependencies"][0]["filters"] = {"data": [
        {"path": "body.message", "type": "string", "value": ["hello"]}]}
    result = replay_published(stack_from_manifests([sensor]), context=event["context"],
                              data=event["data"], explain=True)
    assert result.fired == []
    assert any("path 'body.message' does not exist" in line for line in result.explain)
