"""The metaflow layer: contract rules, payload paths, the jq envelope and the bridge sensor."""

from __future__ import annotations

import urllib.parse

import jq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaflow_blueprints.argo import DataFilter, EventFilters, ExprFilter, SecretKeyRef
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import (
    Bridge,
    MetaflowTarget,
    PayloadField,
    bridge_sensor_name,
    check_event,
    check_payload_key,
    default_webhook_url,
    trigger_dependency_name,
)
from metaflow_blueprints.metaflow.jq import EPOCH, URLDECODE, envelope_program
from metaflow_blueprints.metaflow.payload import split_path

NOW = 1767225600  # 2026-01-01T00:00:00Z


def run_jq(program: str, data: object) -> object:
    return jq.compile(f"def now: {NOW}.25; {program}").input_value(data).first()


@pytest.mark.parametrize(
    ("event", "expected"),
    [  # examples from metaflow-contract.md §2.2, computed there by Metaflow itself
        ("s3.object.created", "s3objectcreated_vsdb"),
        ("a.ready", "aready_jcjr"),
        ("b-done", "bdone_jbi3"),
        ("metaflow.myproj.prod.UpstreamFlow.end", "metaflowmyprojprodUpstreamFlowend_2huw"),
    ],
)
def test_dependency_name_matches_metaflow(event: str, expected: str) -> None:
    assert trigger_dependency_name(event) == expected


@pytest.mark.parametrize("bad", ["", "data updated", "a/b", "é", "x!"])
def test_bad_event_names_are_refused(bad: str) -> None:
    with pytest.raises(BlueprintError) as error:
        check_event("event", bad)
    assert error.value.field == "event" and repr(bad) in str(error.value)


@pytest.mark.parametrize(
    "bad", ["", "a.b", "a-b", "nested.key", "name", "id", "timestamp", "utc_date"]
)
def test_bad_payload_keys_are_refused(bad: str) -> None:
    with pytest.raises(BlueprintError):
        check_payload_key("payload", bad)


def test_sensor_names_never_look_like_metaflow_sensor_names() -> None:
    name = bridge_sensor_name("webhook", "data_updated")
    assert name == "mfb--webhook-data-updated"
    # Metaflow: template name with '.' -> '-', from non-empty segments: never '--'.
    assert "--" in bridge_sensor_name("x" * 80)
    assert len(bridge_sensor_name("x" * 80)) <= 47
    with pytest.raises(BlueprintError, match="must start with 'mfb--'"):
        Bridge(sensor_name="myflow", event="e", event_source_name="es", event_name="e")


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("a", ["a"]),
        ("Records.0.s3.object.key", ["Records", 0, "s3", "object", "key"]),
        ("a\\.b.c", ["a.b", "c"]),
        ("detail.version-id", ["detail", "version-id"]),
    ],
)
def test_split_path(path: str, parts: list[object]) -> None:
    assert split_path(path) == parts


@pytest.mark.parametrize("bad", ["", "a..b", "a.*", "items.#", "a|@reverse", "a.#(x==1)"])
def test_unsupported_paths_are_refused(bad: str) -> None:
    with pytest.raises(BlueprintError):
        split_path(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_urldecode_matches_python_on_s3_encoded_keys(key: str) -> None:
    encoded = urllib.parse.quote_plus(key, safe="/")
    assert run_jq(URLDECODE + " mfb_urldecode", encoded) == key


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2026-01-01T00:00:00Z", 1767225600),
        ("2026-01-01T10:20:30.123Z", 1767262830),
        ("2026-01-01T10:20:30+00:00", 1767262830),
    ],
)
def test_epoch(text: str, epoch: int) -> None:
    assert run_jq(EPOCH + " mfb_epoch", text) == epoch


def test_envelope_program_builds_the_metaflow_payload() -> None:
    fields = {
        "table": PayloadField.path("table", root=["body"]).jq,
        "partition": PayloadField.path("partition", root=["body"], default="all").jq,
        "first": PayloadField.path("items.0.id", root=["body"]).jq,
    }
    program = envelope_program(
        event="data.updated", fields=fields, id_jq=PayloadField.path("id", root=["body"]).jq
    )
    out = run_jq(program, {"body": {"table": "t", "items": [{"id": 7}], "id": 42}})
    assert out["metaflow"] == {  # type: ignore[index]
        "name": "data.updated",
        "id": "42",
        "timestamp": NOW,
        "utc_date": "20260101",
        "table": "t",
        "partition": "all",
        "first": 7,
    }
    assert out["body"]["table"] == "t"  # type: ignore[index]  # the data stays for the filters


def _bridge(**overrides: object) -> Bridge:
    kwargs: dict[str, object] = {
        "sensor_name": "mfb--x",
        "event": "data.updated",
        "event_source_name": "es",
        "event_name": "data-updated",
        "payload": {"table": PayloadField.path("table", root=["body"])},
    }
    kwargs.update(overrides)
    return Bridge(**kwargs)  # type: ignore[arg-type]


def test_bridge_sensor_shape(strict_validator) -> None:  # type: ignore[no-untyped-def]
    target = MetaflowTarget(
        "metaflow", default_webhook_url("metaflow"), auth_header=SecretKeyRef("a", "h")
    )
    bridge = _bridge(
        filters=EventFilters.all([DataFilter.at("body.status").string().equals("ready")])
    )
    sensor = bridge.sensor(target).render()
    assert strict_validator.errors(sensor) == []
    dependency = sensor["spec"]["dependencies"][0]
    assert dependency["filters"]["exprs"] == [ExprFilter.exists("body.table").render()]
    assert dependency["filters"]["data"][0]["value"] == ["^ready$"]
    trigger = sensor["spec"]["triggers"][0]
    assert trigger["atLeastOnce"] is True and trigger["dlqTrigger"]["atLeastOnce"] is True
    http = trigger["template"]["http"]
    assert http["url"] == "http://argo-events-webhook-eventsource-svc.metaflow:12000/metaflow-event"
    assert http["secureHeaders"][0]["valueFrom"]["secretKeyRef"] == {"name": "a", "key": "h"}
    assert [p["dest"] for p in http["payload"]] == ["name", "payload", "payload.id"]
    assert sensor["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "metaflow-blueprints"


def test_bridge_refuses_or_filters_with_required_fields() -> None:
    with pytest.raises(BlueprintError) as error:
        _bridge(
            filters=EventFilters.any([ExprFilter.exists("body.a"), ExprFilter.exists("body.b")])
        )
    assert error.value.field == "filters"


@pytest.mark.parametrize("key", ["name", "id", "a.b"])
def test_bridge_refuses_bad_payload_keys(key: str) -> None:
    with pytest.raises(BlueprintError):
        _bridge(payload={key: PayloadField.constant(1)})
