"""argo.sensor: the Sensor's own rules (no cdktf)."""

from __future__ import annotations

import pytest

from metaflow_blueprints.argo import (
    Dependency,
    LogTrigger,
    Sensor,
    Trigger,
)
from metaflow_blueprints.errors import BlueprintError


def _sensor(**overrides: object) -> Sensor:
    kwargs: dict[str, object] = {
        "name": "s",
        "namespace": "ns",
        "dependencies": [Dependency("dep-a", "es", "ev")],
        "triggers": [Trigger("log", LogTrigger())],
    }
    kwargs.update(overrides)
    return Sensor(**kwargs)  # type: ignore[arg-type]


def test_sensor_rules() -> None:
    with pytest.raises(BlueprintError, match="at least one dependency"):
        _sensor(dependencies=[])
    with pytest.raises(BlueprintError, match="at least one trigger"):
        _sensor(triggers=[])
    with pytest.raises(BlueprintError, match="used twice"):
        _sensor(dependencies=[Dependency("a", "es", "ev"), Dependency("a", "es", "ev2")])
    with pytest.raises(BlueprintError, match="used twice"):
        _sensor(triggers=[Trigger("t", LogTrigger()), Trigger("t", LogTrigger())])
    with pytest.raises(BlueprintError) as error:
        _sensor(name="My.Sensor")
    assert error.value.field == "Sensor.name"
