"""metaflow.bridge: the bridge sensor's shape and its bad input."""

from __future__ import annotations

import pytest

from metaflow_blueprints.argo import DataFilter, EventFilters, ExprFilter, SecretKeyRef
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import (
    Bridge,
    MetaflowTarget,
    PayloadField,
    default_webhook_url,
)


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
