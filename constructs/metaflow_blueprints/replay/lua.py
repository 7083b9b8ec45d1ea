"""Lua scripts (transform and filter) with Lua 5.1 via lupa, as gopher-lua runs them.

The ``event`` global is built like argo-events' ``mapToTable``: JSON nulls are skipped,
numbers are Lua numbers, arrays keep only objects/numbers/strings/bools (nested arrays and
nulls inside arrays are dropped, shifting later elements). Results convert back like
``toGoValue``: a table with no array part is an object, otherwise an array of ``1..#t``.
"""

from __future__ import annotations

from typing import Any

from . import gojson
from .errors import EvalError

try:  # Lua 5.1 is what gopher-lua implements
    from lupa import lua51 as _lupa
except ImportError:  # pragma: no cover - every lupa wheel ships lua51
    import lupa as _lupa


def _runtime() -> Any:
    return _lupa.LuaRuntime(unpack_returned_tuples=False)


def _to_table(lua: Any, obj: dict[str, Any]) -> Any:
    table = lua.table()
    for key, value in obj.items():
        converted = _convert(lua, value, in_array=False)
        if converted is not _SKIP:
            table[key] = converted
    return table


_SKIP = object()


def _convert(lua: Any, value: Any, *, in_array: bool) -> Any:
    if value is None:
        return _SKIP
    if isinstance(value, (bool, str)):
        return value
    if gojson.is_number(value):
        return float(value)
    if isinstance(value, dict):
        return _to_table(lua, value)
    if isinstance(value, list):
        if in_array:
            return _SKIP
        table = lua.table()
        n = 0
        for item in value:
            converted = _convert(lua, item, in_array=True)
            if converted is not _SKIP:
                n += 1
                table[n] = converted
        return table
    return _SKIP


def _from_lua(lua: Any, value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if _lupa.lua_type(value) == "table":
        length = lua.eval("function(t) return #t end")(value)
        if length == 0:
            out: dict[str, Any] = {}
            for k, v in value.items():
                key = gojson.go_fmt_float(float(k)) if isinstance(k, (int, float)) else str(k)
                out[key] = _from_lua(lua, v)
            return out
        return [_from_lua(lua, value[i]) for i in range(1, length + 1)]
    return None


def _run(script: str, data: dict[str, Any]) -> tuple[Any, Any]:
    lua = _runtime()
    lua.globals().event = _to_table(lua, data)
    try:
        fn = lua.execute("return function() " + script + "\nend")
        result = fn()
    except _lupa.LuaError as exc:
        raise EvalError(f"lua: {exc}") from exc
    if isinstance(result, tuple):
        result = result[-1] if result else None
    return lua, result


def transform(script: str, data: dict[str, Any]) -> Any:
    """Run a transform script; the returned table becomes the new data."""
    lua, result = _run(script, data)
    if _lupa.lua_type(result) != "table":
        raise EvalError("transformation script output type is not of lua table")
    return _from_lua(lua, result)


def filter_passes(script: str, data: dict[str, Any]) -> bool:
    """Run a filter script; only ``return true`` passes."""
    _, result = _run(script, data)
    return result is True
