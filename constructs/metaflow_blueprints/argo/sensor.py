"""Sensor objects: dependencies plus triggers, rendered as a Kubernetes manifest dict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints.argo.filters import EventFilters, Transform
from metaflow_blueprints.argo.names import check_event_name, check_object_name
from metaflow_blueprints.argo.triggers import Trigger
from metaflow_blueprints.errors import BlueprintError

API_VERSION = "argoproj.io/v1alpha1"


@dataclass(frozen=True)
class Dependency:
    """An event the sensor waits for: ``event_source_name``/``event_name`` plus filters."""

    name: str
    event_source_name: str
    event_name: str
    filters: EventFilters | None = None
    transform: Transform | None = None

    def __post_init__(self) -> None:
        check_event_name("Dependency.name", self.name)
        check_object_name("Dependency.event_source_name", self.event_source_name)
        check_event_name("Dependency.event_name", self.event_name)

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "eventSourceName": self.event_source_name,
            "eventName": self.event_name,
        }
        if self.transform is not None:
            out["transform"] = self.transform.render()
        if self.filters is not None and self.filters.filters:
            out["filters"] = self.filters.render()
            if self.filters.operator == "or":
                out["filtersLogicalOperator"] = "or"
        return out


@dataclass(frozen=True)
class Sensor:
    """An Argo Events Sensor."""

    name: str
    namespace: str
    dependencies: Sequence[Dependency]
    triggers: Sequence[Trigger]
    event_bus_name: str = "default"
    service_account_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    replicas: int = 1

    def __post_init__(self) -> None:
        check_object_name("Sensor.name", self.name)
        if not self.dependencies:
            raise BlueprintError("Sensor.dependencies", [], "needs at least one dependency.")
        if not self.triggers:
            raise BlueprintError("Sensor.triggers", [], "needs at least one trigger.")
        _unique("Sensor.dependencies", [d.name for d in self.dependencies])
        _unique("Sensor.triggers", [t.name for t in self.triggers])
        # '-' becomes '_' before conditions are evaluated, so these names would collide.
        _unique("Sensor.dependencies", [d.name.replace("-", "_") for d in self.dependencies])
        if self.replicas < 1:
            raise BlueprintError("Sensor.replicas", self.replicas, "must be >= 1.")

    def render(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        spec: dict[str, Any] = {
            "eventBusName": self.event_bus_name,
            "replicas": self.replicas,
            "dependencies": [d.render() for d in self.dependencies],
            "triggers": [t.render() for t in self.triggers],
        }
        if self.service_account_name:
            spec["template"] = {"serviceAccountName": self.service_account_name}
        return {"apiVersion": API_VERSION, "kind": "Sensor", "metadata": metadata, "spec": spec}


def _unique(field_name: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise BlueprintError(field_name, name, "is used twice; names must be unique.")
        seen.add(name)
