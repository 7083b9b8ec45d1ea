"""The example flows map exactly the payload keys the bridges send (no Metaflow needed)."""

from __future__ import annotations

import ast
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.metaflow import ENVELOPE_KEYS
from metaflow_blueprints.replay.testing import replay_events

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def trigger_of(flow: str) -> dict[str, Any]:
    tree = ast.parse((ROOT / "examples" / "flows" / flow).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "trigger":
            return ast.literal_eval(node.keywords[0].value)  # type: ignore[no-any-return]
    raise AssertionError(f"no @trigger in {flow}")


@pytest.mark.parametrize(
    ("flow", "source", "sample"),
    [
        ("s3_ingest_flow.py", "aws-raw-uploads/s3-raw-uploaded", "s3_put_encoded_key"),
        ("dynamodb_orders_flow.py", "aws-new-orders/orders-created", "dynamodb_insert"),
    ],
)
def test_flow_parameters_are_the_payload_keys(
    aws_stack: dict[str, Any], flow: str, source: str, sample: str
) -> None:
    trigger = trigger_of(flow)
    message = json.loads((ROOT / "examples" / "events" / "aws" / f"{sample}.json").read_text())
    (event,) = replay_events(aws_stack, message, source=source, now=NOW)
    assert trigger["name"] == event["name"]
    assert set(trigger["parameters"].values()) == set(event["payload"]) - ENVELOPE_KEYS
