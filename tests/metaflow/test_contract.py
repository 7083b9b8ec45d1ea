"""metaflow.contract: event names, payload keys and sensor names as Metaflow needs them."""

from __future__ import annotations

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import (
    Bridge,
    bridge_sensor_name,
    check_event,
    check_payload_key,
    trigger_dependency_name,
)


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
