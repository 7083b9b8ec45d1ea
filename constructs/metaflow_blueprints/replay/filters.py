"""Dependency filters with argo-events' exact rules (``pkg/sensors/dependencies/filter.go``).

Order: expr, data, context, time, script. ``and`` mode (default): any error fails the
event. ``or`` mode: errors count as false and the event passes if any *configured* filter
kind passes - except a Lua script error, which fails the event in both modes (upstream
returns it directly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import gjson, gotemplate, lua
from .errors import EvalError
from .events import Event
from .exprs import evaluate
from .goparse import parse_bool, parse_float
from .goregex import compile_go


@dataclass
class FilterOutcome:
    """Whether the event passed, the combined error text if any, and explain notes."""

    passed: bool
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def run_filters(
    event: Event, filters: dict[str, Any] | None, operator: str | None
) -> FilterOutcome:
    """``Filter(event, dep.Filters, dep.FiltersLogicalOperator)``."""
    out = FilterOutcome(True)
    if not filters:
        out.notes.append("no filters")
        return out
    or_mode = operator == "or"
    errors: list[str] = []

    def kind_result(kind: str, ok: bool, err: str | None) -> bool | None:
        if filters.get(kind) is None:
            return ok
        if err is not None:
            out.notes.append(f"{kind}: error: {err}")
            if not or_mode:
                out.passed, out.error = False, err
                return None
            errors.append(err)
        else:
            out.notes.append(f"{kind}: {'pass' if ok else 'fail'}")
        return ok

    expr_ok, err = _exprs(filters.get("exprs"), filters.get("exprLogicalOperator"), event, out)
    if kind_result("exprs", expr_ok, err) is None:
        return out
    data_ok, err = _data(filters.get("data"), filters.get("dataLogicalOperator"), event, out)
    if kind_result("data", data_ok, err) is None:
        return out
    ctx_ok = _context(filters.get("context"), event)
    if "context" in filters and filters.get("context") is not None:
        out.notes.append(f"context: {'pass' if ctx_ok else 'fail'}")
    time_ok, err = _time(filters.get("time"), event)
    if "time" in filters and filters.get("time") is not None and \
            kind_result("time", time_ok, err) is None:
        return out
    script = filters.get("script") or ""
    script_ok = True
    if script:
        try:
            script_ok = lua.filter_passes(str(script), event.data)
        except EvalError as exc:
            out.notes.append(f"script: error: {exc} (fails the event in both modes)")
            out.passed, out.error = False, str(exc)
            return out
        out.notes.append(f"script: {'pass' if script_ok else 'fail'}")
    if or_mode:
        out.passed = bool(
            (filters.get("exprs") is not None and expr_ok)
            or (filters.get("data") is not None and data_ok)
            or (filters.get("context") is not None and ctx_ok)
            or (filters.get("time") is not None and time_ok)
            or (script != "" and script_ok)
        )
        out.error = " / ".join(errors) or None
        return out
    out.passed = expr_ok and data_ok and ctx_ok and time_ok and script_ok
    return out


def _exprs(
    filters: list[dict[str, Any]] | None, operator: str | None, event: Event, out: FilterOutcome
) -> tuple[bool, str | None]:
    if filters is None:
        return True, None
    or_mode = operator == "or"
    errors: list[str] = []
    for i, f in enumerate(filters):
        params: dict[str, Any] = {}
        missing = None
        for fld in f.get("fields") or []:
            res = gjson.get(event.data, str(fld.get("path", "")))
            if not res.exists:
                missing = f"path '{fld.get('path', '')}' does not exist"
                break
            params[str(fld.get("name", ""))] = res.go_value()
        label = f"exprs[{i}] {f.get('expr')!r}"
        if missing is not None:
            out.notes.append(f"{label}: {missing}")
            if or_mode:
                errors.append(missing)
                continue
            return False, f"expr filter error ({missing})"
        if not params:
            out.notes.append(f"{label}: no fields, skipped")
            continue
        try:
            result = evaluate(str(f.get("expr", "")), params, flavor="govaluate")
        except EvalError as exc:
            out.notes.append(f"{label}: error {exc}")
            if or_mode:
                errors.append(str(exc))
                continue
            return False, f"expr filter error ({exc})"
        out.notes.append(f"{label} with {params}: {result}")
        if result is True:
            if or_mode:
                return True, None
        elif not or_mode:
            return False, None
    if or_mode:
        if errors:
            return False, f"expr filter errors [{' / '.join(errors)}]"
        return False, None
    return True, None


def _data(
    filters: list[dict[str, Any]] | None, operator: str | None, event: Event, out: FilterOutcome
) -> tuple[bool, str | None]:
    if not filters:
        return True, None
    or_mode = operator == "or"
    errors: list[str] = []

    def error(label: str, msg: str) -> tuple[bool, str | None] | None:
        out.notes.append(f"{label}: error {msg}")
        if or_mode:
            errors.append(msg)
            return None
        return False, f"data filter error ({msg})"

    for i, f in enumerate(filters):
        path = str(f.get("path", ""))
        label = f"data[{i}] {path}"
        res = gjson.get(event.data, path)
        if not res.exists:
            r = error(label, f"path '{path}' does not exist")
            if r is None:
                continue
            return r
        values = [str(v) for v in (f.get("value") or [])]
        if not values:
            r = error(label, "no values specified")
            if r is None:
                continue
            return r
        template = f.get("template") or ""
        if template:
            try:
                rendered = gotemplate.execute(str(template), res.string())
            except EvalError as exc:
                r = error(label, str(exc))
                if r is None:
                    continue
                return r
            if rendered in ("", "<no value>"):
                r = error(label, f"template '{template}' evaluated to empty string or no value")
                if r is None:
                    continue
                return r
            res = gjson.Result(True, rendered)
        ftype = f.get("type")
        comparator = str(f.get("comparator") or "")
        try:
            matched = _data_match(str(ftype), comparator, values, res)
        except EvalError as exc:
            r = error(label, str(exc))
            if r is None:
                continue
            return r
        out.notes.append(f"{label} {ftype} {comparator or '='} {values} on {res.string()!r}: "
                         f"{'match' if matched else 'no match'}")
        if matched:
            if or_mode:
                return True, None
            continue
        if not or_mode:
            return False, None
    if or_mode:
        if errors:
            return False, f"data filter errors [{' / '.join(errors)}]"
        return False, None
    return True, None


def _data_match(ftype: str, comparator: str, values: list[str], res: gjson.Result) -> bool:
    """True when any value matches (argo's per-type loop; the first bad value errors)."""
    if ftype == "bool":
        return any(parse_bool(v) == res.bool() for v in values)
    if ftype == "number":
        event_val = res.float()
        for v in values:
            want = parse_float(v)
            ok = {
                ">=": event_val >= want, ">": event_val > want, "<": event_val < want,
                "<=": event_val <= want, "!=": event_val != want,
                "=": event_val == want, "": event_val == want,
            }.get(comparator, False)
            if ok:
                return True
        return False
    if ftype == "string":
        text = res.string()
        for v in values:
            found = compile_go(v).search(text) is not None
            if (comparator in ("=", "") and found) or (comparator == "!=" and not found):
                return True
        return False
    raise EvalError(f"unsupported JSON type '{ftype}'")


def _context(expected: dict[str, Any] | None, event: Event) -> bool:
    if expected is None:
        return True
    actual = event.context()
    return all(
        not expected.get(key) or expected.get(key) == actual[key]
        for key in ("type", "subject", "source", "datacontenttype")
    )


def _time(spec: dict[str, Any] | None, event: Event) -> tuple[bool, str | None]:
    if spec is None:
        return True, None
    try:
        tz = ZoneInfo(str(spec.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        return False, f"time filter error (unknown time zone {spec.get('timezone')}: {exc})"
    local = event.time.astimezone(tz)
    try:
        start = _clock(str(spec.get("start", "")), local)
        stop = _clock(str(spec.get("stop", "")), local)
    except ValueError as exc:
        return False, f"time filter error ({exc})"
    if start < stop:
        return start <= local < stop, None
    return local >= start or local < stop, None


def _clock(text: str, base: datetime) -> datetime:
    hh, mm, ss = (int(x) for x in text.split(":"))
    if not (0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 60) or len(text) != 8:
        raise ValueError(f'parsing time "{text}": expected hh:mm:ss')
    midnight = base.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(hours=hh, minutes=mm, seconds=ss)
