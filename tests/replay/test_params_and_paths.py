"""Trigger parameter resolution (params.go), gjson paths and sjson dests."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.replay import gjson
from metaflow_blueprints.replay.errors import EvalError, UnsupportedConstruct
from metaflow_blueprints.replay.events import Event
from metaflow_blueprints.replay.gojson import loads
from metaflow_blueprints.replay.params import apply_params, construct_payload, resolve

T = datetime(2025, 1, 15, 10, 20, 31, tzinfo=timezone.utc)
DATA = {"body": {"key": "a b", "size": 1024, "ratio": 1.50, "ok": True, "none": None,
                 "obj": {"z": 1, "a": [1, 2]}, "items": [{"id": "x"}, {"id": "y", "n": 2}]}}
EVENTS = {"d": Event(id="e1", source="s", subject="n", type="webhook", time=T,
                     data=loads(json.dumps(DATA)))}


def src(**kw: Any) -> dict[str, Any]:
    return {"dependencyName": "d", **kw}


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"dataKey": "body.key"}, ("a b", "String")),
    ({"dataKey": "body.size"}, ("1024", "Number")),
    ({"dataKey": "body.ratio"}, ("1.5", "Number")),        # gjson String() of a non-integer
    ({"dataKey": "body.ok"}, ("true", "True")),
    ({"dataKey": "body.none"}, ("null", "Null")),
    ({"dataKey": "body.obj"}, ('{"z":1,"a":[1,2]}', "JSON")),  # raw, key order kept
    ({"dataKey": "body.items.#(id==\"y\").n"}, ("2", "Number")),
    ({"dataKey": "body.items.#.id"}, ('["x","y"]', "JSON")),
    ({"dataKey": "body.items.#"}, ("2", "Number")),
    ({"contextKey": "id"}, ("e1", "String")),
    ({"contextKey": "time"}, ("2025-01-15T10:20:31Z", "String")),
    ({"dataTemplate": "{{ .Input.body.size }}"}, ("1024", "String")),   # template: String type
    ({"dataTemplate": "{{ .Input.body.obj | toJson }}"}, ('{"a":[1,2],"z":1}', "String")),
    ({"dataTemplate": "{{ .Input.nope }}", "dataKey": "body.key"}, ("a b", "String")),
    ({"dataKey": "body.nope", "value": "dflt"}, ("dflt", "String")),
    ({"value": "literal"}, ("literal", "String")),  # no selector: the value, as a string
])
def test_resolve(kwargs: dict[str, Any], expected: tuple[str, str]) -> None:
    assert resolve(src(**kwargs), EVENTS) == expected


def test_resolve_missing_without_default_is_an_error() -> None:
    with pytest.raises(EvalError, match="unable to resolve"):
        resolve(src(dataKey="body.nope"), EVENTS)


def test_resolve_absent_dependency() -> None:
    assert resolve({"dependencyName": "other", "value": "v"}, EVENTS) == ("v", "String")
    assert resolve({"dependencyName": "other", "dataKey": "x"}, EVENTS) == (None, "String")


def test_payload_use_raw_data() -> None:
    params = [
        {"src": src(dataKey="body.size", useRawData=True), "dest": "n"},
        {"src": src(dataKey="body.size"), "dest": "s"},
        {"src": src(dataKey="body.obj", useRawData=True), "dest": "o"},
        {"src": src(dataKey="body.key", useRawData=True), "dest": "k"},  # String: never raw
        {"src": src(dataTemplate="{{ .Input.body.size }}", useRawData=True), "dest": "t"},
        {"src": src(dataKey="body.key"), "dest": "deep.list.1"},
    ]
    body = construct_payload(params, EVENTS)
    assert body == ('{"n":1024,"s":"1024","o":{"z":1,"a":[1,2]},"k":"a b","t":"1024",'
                    '"deep":{"list":[null,"a b"]}}')


def test_payload_empty_dest_is_the_whole_body() -> None:
    params = [{"src": src(dataKey="body.obj"), "dest": ""}]
    assert construct_payload(params, EVENTS) == '{"z":1,"a":[1,2]}'


def test_apply_params_operations_and_query_dest() -> None:
    resource = {"spec": {"arguments": {"parameters": [{"name": "key", "value": "null"},
                                                      {"name": "x", "value": "pre"}]}}}
    params = [
        {"src": src(dataTemplate='{{ (get $.Input.body "key" | toRawJson) }}'),
         "dest": "spec.arguments.parameters.#(name=key).value"},
        {"src": src(dataKey="body.key"), "dest": "spec.arguments.parameters.1.value",
         "operation": "append"},
    ]
    out = apply_params(resource, params, EVENTS)
    assert out["spec"]["arguments"]["parameters"] == [
        {"name": "key", "value": '"a b"'}, {"name": "x", "value": "prea b"}]
    assert resource["spec"]["arguments"]["parameters"][0]["value"] == "null"  # not mutated


def test_gjson_escapes_wildcards_and_loud_failures() -> None:
    doc = loads('{"a.b": 1, "labels": {"app.kubernetes.io/name": "x"}, "fooBar": 2}')
    assert gjson.get(doc, "a\\.b").string() == "1"
    assert gjson.get(doc, "labels.app\\.kubernetes\\.io/name").string() == "x"
    assert gjson.get(doc, "foo*").string() == "2"
    for path in ("a,b", "labels|@keys", "@this"):
        with pytest.raises(UnsupportedConstruct):
            gjson.get(doc, path)


def test_replay_refuses_a_keyword_it_does_not_take() -> None:
    """``replay``'s delivery keywords are a TypedDict (``**delivery``): a misspelt one is
    still a TypeError, as with a plain keyword argument, before the stack is read."""
    from metaflow_blueprints.replay import replay
    from metaflow_blueprints.replay.testing import replay_events

    with pytest.raises(TypeError, match="unexpected keyword argument 'heders'"):
        replay("no-such-stack", event={}, heders={"X": "1"})  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'attribute'"):
        replay_events("no-such-stack", {}, attribute={})  # type: ignore[call-arg]
