"""Sensor dependency filters and transforms (argo-events.md §(b)), rendered as plain dicts.

Argo compares ``string`` data filters as **unanchored** Go regular expressions, so
``DataFilter.at("body.action").string().equals("labeled")`` emits ``^labeled$``; use
``.matches(...)`` when you want a raw regex.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from metaflow_blueprints.argo.regex import check_re2
from metaflow_blueprints.errors import BlueprintError

DataType = Literal["string", "number", "bool"]
Comparator = Literal["=", "!=", "<", "<=", ">", ">="]
_COMPARATORS = ("=", "!=", "<", "<=", ">", ">=")
_CLASS_ESCAPED = frozenset(".+*?()|{}$")
_BACKSLASH_ESCAPED = frozenset("\\[]^")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
_BOOL_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_BOOL_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def regex_literal(text: str) -> str:
    """Escape ``text`` so that Go's RE2 (and Python's ``re``) match it literally.

    Metacharacters become one-character classes (``a.csv`` -> ``a[.]csv``) rather than
    backslash escapes, so the common cases carry no backslash to double-escape in JSON,
    YAML and HCL renderings of the manifest.
    """
    out = []
    for char in text:
        if char in _CLASS_ESCAPED:
            out.append(f"[{char}]")
        elif char in _BACKSLASH_ESCAPED:
            out.append(f"\\{char}")
        else:
            out.append(char)
    return "".join(out)


def anchored(*texts: str) -> str:
    """One anchored regex matching exactly one of ``texts``."""
    if len(texts) == 1:
        return f"^{regex_literal(texts[0])}$"
    return "^(" + "|".join(regex_literal(t) for t in texts) + ")$"


def _check_path(field_name: str, path: str) -> str:
    if not isinstance(path, str) or not path or path != path.strip():
        raise BlueprintError(
            field_name, path, "must be a non-empty gjson path without surrounding spaces."
        )
    if path.startswith("data."):
        raise BlueprintError(
            field_name,
            path,
            "paths are relative to the event data already;",
            f"drop the 'data.' prefix: {path[5:]!r}.",
        )
    return path


@dataclass(frozen=True)
class DataFilter:
    """A data filter: the value at ``path`` compared with ``values`` (any value may match).

    The fields are Argo's (``data[].path``, ``type``, ``value``, ``comparator``,
    ``template``); build one with ``DataFilter.at(path)``, so that ``path`` means only
    the gjson path.
    """

    path: str
    type: DataType
    values: tuple[str, ...]
    comparator: Comparator | None = None
    template: str | None = None

    def __post_init__(self) -> None:
        _check_path("DataFilter.path", self.path)
        if self.type not in ("string", "number", "bool"):
            raise BlueprintError("DataFilter.type", self.type, "must be string, number or bool.")
        if not self.values or any(v == "" for v in self.values):
            raise BlueprintError(
                "DataFilter.values", self.values, "needs at least one value and no empty values."
            )
        if self.comparator is not None and self.comparator not in _COMPARATORS:
            raise BlueprintError(
                "DataFilter.comparator", self.comparator, f"must be one of {_COMPARATORS}."
            )
        if self.type == "string" and self.comparator not in (None, "=", "!="):
            raise BlueprintError(
                "DataFilter.comparator", self.comparator, "string filters only support = and !=."
            )
        if self.type == "string":
            for value in self.values:
                check_re2("DataFilter.values", value)
        if self.type == "bool" and self.comparator not in (None, "=", "!="):
            raise BlueprintError(
                "DataFilter.comparator", self.comparator, "bool filters only support = and !=."
            )
        if self.type == "number":
            for value in self.values:
                try:
                    float(value)
                except ValueError:
                    raise BlueprintError("DataFilter.values", value, "is not a number.") from None
        if self.type == "bool":
            for value in self.values:
                if value not in _BOOL_TRUE + _BOOL_FALSE:
                    raise BlueprintError(
                        "DataFilter.values", value, "is not a Go boolean (true/false/1/0/t/f)."
                    )
            if self.comparator == "!=":
                _negate_bool(self.values)

    @staticmethod
    def at(path: str) -> DataFilterBuilder:
        """Start a filter on the gjson ``path`` (relative to the event data)."""
        return DataFilterBuilder(path)

    def render(self) -> dict[str, Any]:
        values, comparator = list(self.values), self.comparator
        if self.type == "bool" and comparator == "!=":
            # filter.go ignores the comparator for bools (value == result passes), so "!= v"
            # is rendered as "= not v".
            values, comparator = [_negate_bool(self.values)], None
        out: dict[str, Any] = {"path": self.path, "type": self.type, "value": values}
        if comparator is not None:
            out["comparator"] = comparator
        if self.template is not None:
            out["template"] = self.template
        return out


def _negate_bool(values: tuple[str, ...]) -> str:
    """The one boolean that is none of ``values`` (for a ``!=`` bool filter)."""
    truths = {value in _BOOL_TRUE for value in values}
    if len(truths) != 1:
        raise BlueprintError(
            "DataFilter.values",
            list(values),
            "with '!=' on a bool must be all true or all false (anything else never matches).",
        )
    return "false" if truths.pop() else "true"


@dataclass(frozen=True)
class DataFilterBuilder:
    """Fluent builder: ``DataFilter.at(p).string().equals("x")``."""

    path: str
    template: str | None = None

    def with_template(self, template: str) -> DataFilterBuilder:
        """Run a Go template on the value before comparing (e.g. ``{{ b64dec .Input }}``)."""
        return DataFilterBuilder(self.path, template)

    def string(self) -> _StringFilters:
        return _StringFilters(self.path, self.template)

    def number(self) -> _NumberFilters:
        return _NumberFilters(self.path, self.template)

    def bool(self) -> _BoolFilters:
        return _BoolFilters(self.path, self.template)


@dataclass(frozen=True)
class _StringFilters:
    path: str
    template: str | None

    def _make(self, regex: str, comparator: Comparator | None) -> DataFilter:
        return DataFilter(self.path, "string", (regex,), comparator, self.template)

    def equals(self, *values: str) -> DataFilter:
        """The value is exactly one of ``values`` (anchored, escaped)."""
        _need_values("equals", values)
        return self._make(anchored(*values), None)

    def not_equals(self, *values: str) -> DataFilter:
        """The value is none of ``values`` (one anchored alternation with ``!=``)."""
        _need_values("not_equals", values)
        return self._make(anchored(*values), "!=")

    def starts_with(self, *prefixes: str) -> DataFilter:
        _need_values("starts_with", prefixes)
        alternatives = "|".join(regex_literal(p) for p in prefixes)
        return self._make(f"^({alternatives})", None)

    def ends_with(self, *suffixes: str) -> DataFilter:
        _need_values("ends_with", suffixes)
        alternatives = "|".join(regex_literal(s) for s in suffixes)
        return self._make(f"({alternatives})$", None)

    def matches(self, regex: str) -> DataFilter:
        """A raw (unanchored, RE2) regular expression, as Argo applies it."""
        return self._make(regex, None)


@dataclass(frozen=True)
class _NumberFilters:
    path: str
    template: str | None

    def _make(self, comparator: Comparator, *values: float) -> DataFilter:
        return DataFilter(
            self.path, "number", tuple(_number(v) for v in values), comparator, self.template
        )

    def equals(self, *values: float) -> DataFilter:
        _need_values("equals", values)
        return self._make("=", *values)

    def not_equals(self, value: float) -> DataFilter:
        return self._make("!=", value)

    def gt(self, value: float) -> DataFilter:
        return self._make(">", value)

    def ge(self, value: float) -> DataFilter:
        return self._make(">=", value)

    def lt(self, value: float) -> DataFilter:
        return self._make("<", value)

    def le(self, value: float) -> DataFilter:
        return self._make("<=", value)


@dataclass(frozen=True)
class _BoolFilters:
    path: str
    template: str | None

    def is_true(self) -> DataFilter:
        return DataFilter(self.path, "bool", ("true",), None, self.template)

    def is_false(self) -> DataFilter:
        return DataFilter(self.path, "bool", ("false",), None, self.template)


def _number(value: float) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BlueprintError(
            "DataFilter.values", value, "number filters take finite int or float values."
        )
    return repr(value) if isinstance(value, float) else str(value)


def _need_values(method: str, values: Sequence[object]) -> None:
    if not values:
        raise BlueprintError(method, values, "needs at least one value.")


@dataclass(frozen=True)
class ExprFilter:
    """A govaluate expression over named fields bound from gjson paths (all must exist)."""

    expr: str
    fields: Mapping[str, str]

    def __post_init__(self) -> None:
        if not self.expr.strip():
            raise BlueprintError("ExprFilter.expr", self.expr, "must not be empty.")
        if not self.fields:
            raise BlueprintError(
                "ExprFilter.fields", dict(self.fields), "needs at least one field."
            )
        for name, path in self.fields.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise BlueprintError(
                    "ExprFilter.fields",
                    name,
                    "field names must be identifiers ([A-Za-z_][A-Za-z0-9_]*).",
                )
            _check_path(f"ExprFilter.fields[{name!r}]", path)

    @staticmethod
    def exists(path: str) -> ExprFilter:
        """Pass only when ``path`` exists (Argo fails an expr filter on a missing path)."""
        return ExprFilter("true == true", {"field": path})

    def render(self) -> dict[str, Any]:
        return {
            "expr": self.expr,
            "fields": [{"name": n, "path": p} for n, p in self.fields.items()],
        }


@dataclass(frozen=True)
class ContextFilter:
    """Exact match on CloudEvent context attributes (at least one must be set)."""

    type: str | None = None
    subject: str | None = None
    source: str | None = None
    datacontenttype: str | None = None

    def __post_init__(self) -> None:
        if not any((self.type, self.subject, self.source, self.datacontenttype)):
            raise BlueprintError(
                "ContextFilter", self, "needs one of type, subject, source, datacontenttype."
            )

    def render(self) -> dict[str, Any]:
        keys = ("type", "subject", "source", "datacontenttype")
        return {k: getattr(self, k) for k in keys if getattr(self, k)}


@dataclass(frozen=True)
class TimeFilter:
    """Pass events whose context time is in ``[start, stop)`` (``hh:mm:ss``, IANA timezone)."""

    start: str
    stop: str
    timezone: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "stop"):
            value = getattr(self, name)
            if not _TIME.fullmatch(value):
                raise BlueprintError(f"TimeFilter.{name}", value, "must be hh:mm:ss (24h).")
        if self.start == self.stop:
            raise BlueprintError("TimeFilter.stop", self.stop, "must differ from start.")

    def render(self) -> dict[str, Any]:
        out = {"start": self.start, "stop": self.stop}
        if self.timezone:
            out["timezone"] = self.timezone
        return out


@dataclass(frozen=True)
class ScriptFilter:
    """A Lua script over the global ``event`` (the data); it must ``return true`` to pass."""

    script: str

    def __post_init__(self) -> None:
        if "return" not in self.script:
            raise BlueprintError("ScriptFilter.script", self.script, "must return true or false.")


Filter = DataFilter | ExprFilter | ContextFilter | TimeFilter | ScriptFilter


@dataclass(frozen=True)
class EventFilters:
    """A set of filters combined with ``and`` (every filter) or ``or`` (any filter).

    Argo groups filters by kind; ``or`` sets every group operator and
    ``filtersLogicalOperator`` to ``or`` so that one passing filter lets the event through
    (in ``or`` mode a filter error counts as false). Only one context, time and script
    filter fit in one set.
    """

    filters: tuple[Filter, ...] = ()
    operator: Literal["and", "or"] = "and"

    def __post_init__(self) -> None:
        for kind in (ContextFilter, TimeFilter, ScriptFilter):
            if sum(isinstance(f, kind) for f in self.filters) > 1:
                raise BlueprintError(
                    "EventFilters.filters",
                    [f for f in self.filters if isinstance(f, kind)],
                    f"Argo takes at most one {kind.__name__} per dependency.",
                )
        for item in self.filters:
            if not isinstance(
                item, (DataFilter, ExprFilter, ContextFilter, TimeFilter, ScriptFilter)
            ):
                raise BlueprintError("EventFilters.filters", item, "is not a filter.")

    @staticmethod
    def all(filters: Iterable[Filter]) -> EventFilters:
        return EventFilters(tuple(filters), "and")

    @staticmethod
    def any(filters: Iterable[Filter]) -> EventFilters:
        return EventFilters(tuple(filters), "or")

    def __and__(self, other: EventFilters) -> EventFilters:
        if self.operator != "and" or other.operator != "and":
            raise BlueprintError(
                "EventFilters",
                (self.operator, other.operator),
                "only 'and' sets can be combined: Argo has one operator per dependency.",
            )
        return EventFilters(self.filters + other.filters, "and")

    def render(self) -> dict[str, Any]:
        data = [f.render() for f in self.filters if isinstance(f, DataFilter)]
        exprs = [f.render() for f in self.filters if isinstance(f, ExprFilter)]
        out: dict[str, Any] = {}
        if exprs:
            out["exprs"] = exprs
        if data:
            out["data"] = data
        for f in self.filters:
            if isinstance(f, ContextFilter):
                out["context"] = f.render()
            elif isinstance(f, TimeFilter):
                out["time"] = f.render()
            elif isinstance(f, ScriptFilter):
                out["script"] = f.script
        if self.operator == "or":
            if data:
                out["dataLogicalOperator"] = "or"
            if exprs:
                out["exprLogicalOperator"] = "or"
        return out


@dataclass(frozen=True)
class Transform:
    """A dependency transform run before the filters: ``jq`` or Lua ``script``, not both."""

    jq: str | None = None
    script: str | None = None

    def __post_init__(self) -> None:
        if (self.jq is None) == (self.script is None):
            raise BlueprintError(
                "Transform", (self.jq, self.script), "set exactly one of jq or script."
            )

    def render(self) -> dict[str, Any]:
        return {"jq": self.jq} if self.jq is not None else {"script": self.script}
