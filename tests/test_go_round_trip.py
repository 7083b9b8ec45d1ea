"""Every emitted Argo object is a fixed point of the Go types' JSON round trip.

The controllers ``Update`` our objects from Go structs (argo-events v1.9.11): a field
without ``omitempty`` is written back even when zero, one with ``omitempty`` is dropped when
zero. The table (tests/data/argo_go_json_tags.json) is derived from the Go source by
tests/derive_go_json_tags.py; this test applies it to every manifest we synthesize.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stacks.__main__ import STACKS
from tests.helpers import manifests

TABLE = json.loads((Path(__file__).parent / "data" / "argo_go_json_tags.json").read_text())
STRUCTS: dict[str, dict[str, Any]] = TABLE["structs"]
ALIASES: dict[str, str] = TABLE["aliases"]
OPAQUE = set(TABLE["custom_json"])
ROOTS = {"EventSource": "EventSourceSpec", "Sensor": "SensorSpec"}
_ZERO = {"string": "", "int": 0, "float": 0, "bool": False}


def _scalar(go_type: str) -> str | None:
    kinds = {"string": "string", "bool": "bool", "int": "int", "int32": "int", "int64": "int",
             "float64": "float"}
    return kinds.get(ALIASES.get(go_type, go_type))


def _fields(struct: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, field in STRUCTS.get(struct, {}).items():
        if field["inline"]:
            out.update(_fields(field["element"]))
        else:
            out[name] = field
    return out


def _is_zero(value: Any, field: dict[str, Any]) -> bool:
    if value is None:
        return True
    if field["kind"] in ("slice", "map"):
        return len(value) == 0
    scalar = _scalar(field["go"])
    if scalar == "bool":
        return value is False
    if scalar in ("int", "float"):
        return not isinstance(value, bool) and value == 0
    return scalar == "string" and value == ""


def violations(value: Any, struct: str, where: str) -> Iterator[str]:
    """Why ``value`` (JSON of Go type ``struct``) would change in a Go round trip."""
    if struct in OPAQUE or struct not in STRUCTS or not isinstance(value, dict):
        return
    fields = _fields(struct)
    for name, field in fields.items():
        path = f"{where}.{name}"
        if name not in value:
            if field["omitempty"]:
                continue
            scalar = _scalar(field["go"])
            if scalar is not None:
                yield f"{path}: missing; the controller writes {json.dumps(_ZERO[scalar])}"
            elif field["kind"] == "named" and field["element"] in STRUCTS:
                yield f"{path}: missing; the controller writes an object"
            continue
        item = value[name]
        if field["omitempty"] and field["kind"] != "named" and _is_zero(item, field):
            yield f"{path}: {json.dumps(item)} is dropped (omitempty)"
            continue
        element = field["element"]
        if field["kind"] == "slice" and isinstance(item, list):
            for i, entry in enumerate(item):
                yield from violations(entry, element, f"{path}[{i}]")
        elif field["kind"] == "map" and isinstance(item, dict):
            for key, entry in item.items():
                yield from violations(entry, element, f"{path}[{key}]")
        else:
            yield from violations(item, element, path)


def test_the_rule_sees_both_kinds_of_drift() -> None:
    """The checker itself: a webhook without url and an empty omitempty map are drift."""
    spec = {"webhook": {"e": {"endpoint": "/e", "port": "12000", "method": "POST",
                              "metadata": {}}}}
    found = list(violations(spec, "EventSourceSpec", "spec"))
    assert "spec.webhook[e].url: missing; the controller writes \"\"" in found
    assert "spec.webhook[e].metadata: {} is dropped (omitempty)" in found
    assert TABLE["tag"] == "v1.9.11" and len(TABLE["commit"]) == 40


@pytest.fixture(scope="module")
def stacks(reference_stacks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reference stacks (synthesized once per session, tests/conftest.py)."""
    return reference_stacks


@pytest.mark.parametrize("name", sorted(STACKS))
def test_every_emitted_object_is_a_fixed_point(
    name: str, stacks: dict[str, dict[str, Any]]
) -> None:
    found: list[str] = []
    for manifest in manifests(stacks[name]):
        root = ROOTS.get(manifest["kind"])
        assert root is not None, manifest["kind"]
        label = f"{manifest['kind']}/{manifest['metadata']['name']}.spec"
        found.extend(violations(manifest["spec"], root, label))
    assert found == []
