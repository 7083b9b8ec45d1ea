"""Dependency ``transform``: jq (real jq standing in for gojq) or a Lua script."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jq

from . import gojson, lua
from .errors import EvalError


def apply(transform: dict[str, Any], data: Any, now: datetime) -> Any:
    """Return the new data, or raise :class:`EvalError` (the event is then dropped)."""
    if not isinstance(data, dict):
        raise EvalError("event data is not a JSON object (json: cannot unmarshal into map)")
    program = transform.get("jq")
    if program:
        return _jq(str(program), data, now)
    script = transform.get("script")
    if script:
        result = lua.transform(str(script), gojson.as_go_floats(data))
        return _go_map_normalise(result)
    return data


def _jq(program: str, data: dict[str, Any], now: datetime) -> Any:
    source = f"def now: {now.timestamp()!r};\n{program}"
    try:
        compiled = jq.compile(source)
    except ValueError as exc:
        raise EvalError(f"jq: compile error: {exc}") from exc
    # gojq receives json.Unmarshal output: every number is a float64
    text = json.dumps(gojson.plain(gojson.as_go_floats(data)), ensure_ascii=False)
    try:
        first = next(iter(compiled.input_text(text)))
    except StopIteration:
        raise EvalError("no output available from the jq command execution") from None
    except ValueError as exc:
        raise EvalError(f"jq: {exc}") from exc
    if not isinstance(first, dict):
        raise EvalError("jq transformation output must be a JSON object")
    return _go_map_normalise(first)


def _go_map_normalise(value: Any) -> Any:
    """As ``json.Marshal(map[string]interface{})``: keys sorted, numbers float64."""
    if isinstance(value, dict):
        return {k: _go_map_normalise(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_go_map_normalise(v) for v in value]
    if gojson.is_number(value):
        return float(value)
    return value
