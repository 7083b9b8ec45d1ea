"""Trigger parameters as in ``pkg/sensors/triggers/params.go``.

``resolve`` is ``ResolveParamValue``; ``apply_params`` is ``ApplyParams`` (resources and
trigger templates); ``construct_payload`` is ``ConstructPayload`` (http bodies).
"""

from __future__ import annotations

import copy
from typing import Any

from . import gjson, gojson, gotemplate, sjson
from .errors import EvalError
from .events import Event

STRING = "String"


def resolve(src: dict[str, Any], events: dict[str, Event]) -> tuple[str | None, str]:
    """Return ``(value, gjson type name)``; ``(None, "String")`` when the event is absent."""
    dep = str(src.get("dependencyName", ""))
    default = src.get("value")
    default_str = None if default is None else str(default)
    event = events.get(dep)
    if event is None:
        if default_str is not None:
            return default_str, STRING
        return None, STRING
    data_key = str(src.get("dataKey") or "")
    data_tpl = str(src.get("dataTemplate") or "")
    ctx_key = str(src.get("contextKey") or "")
    ctx_tpl = str(src.get("contextTemplate") or "")
    if not (data_key or data_tpl or ctx_key or ctx_tpl):
        if default_str is not None:
            return default_str, STRING
        return event.whole_event_json(), STRING
    key, tmpl, doc = "", "", None
    if ctx_key or ctx_tpl:
        key, tmpl, doc = ctx_key, ctx_tpl, event.context()
    if data_key or data_tpl:
        key, tmpl, doc = data_key, data_tpl, event.data
    last_error = ""
    if tmpl:
        try:
            out = gotemplate.execute(tmpl, gojson.as_go_floats(gojson.plain(doc)))
            if out in ("", "<no value>"):
                raise EvalError(f"template evaluated to empty string or no value: {tmpl}")
            return out, STRING
        except EvalError as exc:
            last_error = str(exc)
    if key:
        res = gjson.get(doc, key)
        if res.exists:
            if res.type in ("JSON", "Null"):
                return res.raw, res.type
            return res.string(), res.type
        last_error = f"key {key} does not exist to in the event payload"
    if default_str is not None:
        return default_str, STRING
    raise EvalError(f"unable to resolve '{dep}' parameter value. err: {last_error}")


def _insert(doc: Any, dest: str, value: str, typ: str, use_raw: bool) -> Any:
    if typ != STRING and use_raw:
        try:
            parsed = gojson.loads(value)
        except ValueError as exc:
            raise EvalError(f"raw value {value!r} is not JSON: {exc}") from exc
        return sjson.set_value(doc, dest, parsed)
    return sjson.set_value(doc, dest, value)


def apply_params(obj: Any, params: list[dict[str, Any]], events: dict[str, Event]) -> Any:
    """``ApplyParams``: patch a JSON object (deep-copied) with each parameter in order."""
    doc = copy.deepcopy(obj)
    for param in params:
        src = param.get("src") or {}
        value, typ = resolve(src, events)
        if value is None:
            continue
        dest = str(param.get("dest", ""))
        op = str(param.get("operation") or "")
        if op in ("append", "prepend"):
            current = gjson.get(doc, dest)
            if current.exists:
                typ = STRING
                value = current.string() + value if op == "append" else value + current.string()
        elif op not in ("", "overwrite"):
            raise EvalError(f"unsupported trigger parameter operation: {op}")
        doc = _insert(doc, dest, value, typ, bool(src.get("useRawData")))
    return doc


def construct_payload(params: list[dict[str, Any]], events: dict[str, Event]) -> str | None:
    """``ConstructPayload``: the http body text (None when nothing was set)."""
    doc: Any = None
    for param in params:
        src = param.get("src") or {}
        value, typ = resolve(src, events)
        dest = str(param.get("dest") or "")
        if dest == "":
            if value is not None:
                return value
            continue
        if value is None:
            raise EvalError(f"parameter for '{src.get('dependencyName')}' has no value "
                            "(nil value dereferenced upstream)")
        doc = _insert(doc, dest, value, typ, bool(src.get("useRawData")))
    return None if doc is None else gojson.dumps(doc)
