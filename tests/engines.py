"""Drive every example event through every source of a stack and record what jq ran on.

The record is what the real engines (gojq here, Metaflow for payload keys) are asked to
judge: each bridge jq program together with the exact event data the sensor feeds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

from metaflow_blueprints.replay import engine, transform
from metaflow_blueprints.replay.errors import ReplayError
from metaflow_blueprints.replay.sources import SOURCE_TYPES
from metaflow_blueprints.replay.stack import manifests, source_entries

REPO = Path(__file__).resolve().parents[1]
EVENTS = sorted((REPO / "examples" / "events").rglob("*.json"))
NOW = datetime(2026, 1, 1, 12, 30, 45, tzinfo=timezone.utc)
BEARER = {"Authorization": "Bearer secret-token", "Content-Type": "application/json"}


@dataclass(frozen=True)
class JqRun:
    """One jq transform evaluation: the program, its input data and the pinned clock."""

    program: str
    data: dict[str, Any]
    now: datetime
    event_file: str


def jq_programs(stack: Mapping[str, Any]) -> set[str]:
    """Every dependency jq transform of every Sensor in ``stack``."""
    return {
        str(dep["transform"]["jq"])
        for sensor in manifests(stack, "Sensor")
        for dep in (sensor.get("spec") or {}).get("dependencies") or []
        if (dep.get("transform") or {}).get("jq")
    }


def replay_all(stack: Mapping[str, Any]) -> tuple[list[JqRun], list[Any]]:
    """Replay every example event through every source; the jq runs and Metaflow events."""
    runs: list[JqRun] = []
    posted: list[Any] = []
    original = transform._jq
    current = [""]

    def spy(program: str, data: dict[str, Any], now: datetime) -> Any:
        runs.append(JqRun(program, data, now, current[0]))
        return original(program, data, now)

    with mock.patch.object(transform, "_jq", spy):
        for entry, event_file in _pairs(stack):
            current[0] = event_file.name
            try:
                result = engine.replay(
                    stack, event=event_file.read_bytes(), source=entry, headers=BEARER, now=NOW
                )
            except ReplayError:
                continue  # the example does not have this source's shape
            posted.extend(result.metaflow_events)
    return runs, posted


def _pairs(stack: Mapping[str, Any]) -> Iterator[tuple[str, Path]]:
    for entry in source_entries(stack):
        if entry.type_key in SOURCE_TYPES:
            for event_file in EVENTS:
                yield entry.name, event_file
