"""metaflow.jq: the jq definitions and the envelope program, run by jq."""

from __future__ import annotations

import urllib.parse

import jq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaflow_blueprints.metaflow import (
    PayloadField,
)
from metaflow_blueprints.metaflow.jq import EPOCH, URLDECODE, envelope_program

NOW = 1767225600  # 2026-01-01T00:00:00Z


def run_jq(program: str, data: object) -> object:
    return jq.compile(f"def now: {NOW}.25; {program}").input_value(data).first()


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
