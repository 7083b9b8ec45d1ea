"""Metaflow itself judges the example flows and the payload keys the blueprints send.

Every example flow loads with ``python flow.py show`` under the pinned Metaflow (offline,
local metadata, a throw-away HOME), Metaflow's own Argo sensor compiler turns its
``@trigger`` into a sensor for the event our bridge posts, and the reserved parameter
names are read from the installed Metaflow, not from our memory.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.metaflow import ENVELOPE_KEYS, RESERVED_PARAMETER_NAMES
from tests.engines import replay_all

REPO = Path(__file__).resolve().parents[1]
FLOWS = sorted((REPO / "examples" / "flows").glob("*.py"))
SENSOR_SCRIPT = REPO / "tests" / "metaflow_sensor.py"


def _env(home: Path) -> dict[str, str]:
    """No user config, no service: Metaflow reads only what is set here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("METAFLOW_")}
    env.update(
        HOME=str(home),
        METAFLOW_HOME=str(home / ".metaflowconfig"),
        METAFLOW_DEFAULT_METADATA="local",
        METAFLOW_DEFAULT_DATASTORE="local",
        USERNAME="tester",
    )
    return env


def _flow_class(flow: Path) -> tuple[str, dict[str, Any]]:
    """The FlowSpec subclass's name and its literal ``@trigger(event=...)`` argument."""
    for node in ast.walk(ast.parse(flow.read_text())):
        if isinstance(node, ast.ClassDef) and any(
            getattr(b, "id", "") == "FlowSpec" for b in node.bases
        ):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "trigger":
                    (keyword,) = deco.keywords
                    return node.name, ast.literal_eval(keyword.value)
    raise AssertionError(f"no @trigger FlowSpec in {flow}")


@pytest.mark.parametrize("flow", FLOWS, ids=lambda p: p.name)
def test_example_flow_loads_in_metaflow(flow: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(flow), "show"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=_env(tmp_path),
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    flow_class, _ = _flow_class(flow)
    assert flow_class in result.stdout + result.stderr


@pytest.mark.parametrize("flow", FLOWS, ids=lambda p: p.name)
def test_metaflow_compiles_the_trigger_of_each_example_flow(flow: Path, tmp_path: Path) -> None:
    flow_class, trigger = _flow_class(flow)
    result = subprocess.run(
        [sys.executable, str(SENSOR_SCRIPT), str(flow), flow_class, "metaflow"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=_env(tmp_path),
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sensor = json.loads(result.stdout)
    (dependency,) = sensor["spec"]["dependencies"]
    assert dependency["filters"]["exprs"][0]["expr"] == f"name == '{trigger['name']}'"
    # Metaflow's sensor copies payload[<key>] into each flow parameter the trigger names.
    (template,) = sensor["spec"]["triggers"]
    mapped = {
        p["dest"]: p["src"]["dataTemplate"] for p in template["template"]["k8s"]["parameters"]
    }
    for parameter, key in trigger["parameters"].items():
        source = mapped[f"spec.arguments.parameters.#(name={parameter}).value"]
        assert f'get $.Input.body.payload "{key}"' in source, (parameter, key)

@cache
def metaflow_reserved_names() -> frozenset[str]:
    """Reserved parameter names, derived from the installed Metaflow (tests/metaflow_sensor.py)."""
    result = subprocess.run(
        [sys.executable, str(SENSOR_SCRIPT), "--reserved"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return frozenset(json.loads(result.stdout))


def test_reserved_parameter_names_are_metaflows() -> None:
    assert metaflow_reserved_names() == RESERVED_PARAMETER_NAMES


def test_example_flows_use_no_reserved_parameter_name() -> None:
    for flow in FLOWS:
        names = [
            node.args[0].value
            for node in ast.walk(ast.parse(flow.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Parameter"
            and isinstance(node.args[0], ast.Constant)
        ]
        assert names, flow
        assert not set(names) & metaflow_reserved_names(), flow.name


def test_default_payload_keys_that_collide_are_documented(
    reference_stacks: dict[str, dict[str, Any]],
) -> None:
    """Every payload key a reference blueprint posts that Metaflow reserves is in the docs."""
    sent: set[str] = set()
    for stack in reference_stacks.values():
        _, posted = replay_all(stack)
        for event in posted:
            sent |= set(event["payload"]) - ENVELOPE_KEYS
    assert {"run_id", "bucket", "table"} <= sent  # the replay reached dbt, S3, DynamoDB
    colliding = sorted(sent & metaflow_reserved_names())
    assert colliding == ["run_id"]
    readme = (REPO / "README.md").read_text()
    for key in colliding:
        assert f"| `{key}` |" in readme, key
