"""A faithful subset of tidwall/gjson (v1.19) path lookups over parsed JSON.

Supported: dotted paths, ``\\`` escapes, numeric array indexes, ``#`` (count), ``#.rest``
(collect), ``*``/``?`` key wildcards, ``#(query)`` / ``#(query)#`` with ``==``/``=``,
``!=``, ``<``, ``<=``, ``>``, ``>=``, ``%``, ``!%`` (and nested queries in the key), and
``[a,b]`` / ``{a,b}`` multipaths of simple paths. Anything else (modifiers ``@x``, pipes
``|``, ``..`` JSON lines, bare ``a,b``) raises :class:`UnsupportedConstruct`.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from . import gojson
from .errors import UnsupportedConstruct
from .goparse import parse_bool, parse_float_or_zero

_MISSING = object()


@dataclass(frozen=True)
class Result:
    """A gjson ``Result``."""

    exists: bool
    value: Any = None
    raw_override: str | None = None

    @property
    def type(self) -> str:
        v = self.value
        if not self.exists or v is None:
            return "Null"
        if v is True:
            return "True"
        if v is False:
            return "False"
        if gojson.is_number(v):
            return "Number"
        if isinstance(v, str):
            return "String"
        return "JSON"

    @property
    def raw(self) -> str:
        if not self.exists:
            return ""
        if self.raw_override is not None:
            return self.raw_override
        return gojson.dumps(self.value)

    def string(self) -> str:
        """``Result.String()``."""
        t = self.type
        if not self.exists or t == "Null":
            return ""
        if t in ("True", "False"):
            return t.lower()
        if t == "String":
            return str(self.value)
        if t == "Number":
            raw = self.raw
            digits = raw[1:] if raw.startswith("-") else raw
            if digits.isdigit():
                return raw
            return gojson.format_float_f(float(self.value))
        return self.raw

    def float(self) -> float:
        """``Result.Float()``."""
        t = self.type
        if t == "True":
            return 1.0
        if t == "String":
            return parse_float_or_zero(str(self.value))
        if t == "Number":
            return float(self.value)
        return 0.0

    def bool(self) -> bool:
        """``Result.Bool()``."""
        t = self.type
        if t == "True":
            return True
        if t == "String":
            try:
                return parse_bool(str(self.value).lower())
            except Exception:
                return False
        if t == "Number":
            return float(self.value) != 0
        return False

    def go_value(self) -> Any:
        """``Result.Value()``: numbers as float64, objects as maps."""
        if not self.exists:
            return None
        return gojson.as_go_floats(self.value)


# --- path parsing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    kind: str  # "key" | "count" | "all" | "query"
    text: str = ""
    wild: bool = False
    query: tuple[str, str, str] | None = None  # key, op, value
    query_all: bool = False


def _split(path: str) -> list[_Part]:
    if path.startswith("..") or path.startswith("@") or path.startswith("!"):
        raise UnsupportedConstruct(f"gjson path {path!r} (JSON lines / modifiers)")
    parts: list[_Part] = []
    i, n = 0, len(path)
    buf: list[str] = []
    wild = False
    while i <= n:
        ch = path[i] if i < n else "."
        if ch == "\\" and i + 1 < n:
            buf.append(path[i + 1])
            i += 2
            continue
        if ch == "#" and not buf and i + 1 < n and path[i + 1] == "(":
            depth, j, quote = 0, i + 1, False
            while j < n:
                c = path[j]
                if quote:
                    if c == "\\":
                        j += 1
                    elif c == '"':
                        quote = False
                elif c == '"':
                    quote = True
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise UnsupportedConstruct(f"gjson path {path!r} (unterminated query)")
            inner = path[i + 2 : j]
            j += 1
            query_all = j < n and path[j] == "#"
            if query_all:
                j += 1
            parts.append(_Part("query", query=_parse_query(inner, path), query_all=query_all))
            if j < n and path[j] != ".":
                raise UnsupportedConstruct(f"gjson path {path!r} (text after a query)")
            i = j + 1
            continue
        if ch == ".":
            text = "".join(buf)
            if text == "#" and not wild:
                parts.append(_Part("count"))
            else:
                parts.append(_Part("key", text=text, wild=wild))
            buf, wild = [], False
            i += 1
            continue
        if ch in "|@" and not buf:
            raise UnsupportedConstruct(f"gjson path {path!r} (pipes and modifiers)")
        if ch == "|":
            raise UnsupportedConstruct(f"gjson path {path!r} (pipes)")
        if ch == ",":
            raise UnsupportedConstruct(
                f"gjson path {path!r} (bare 'a,b' multipath: argo-events.md says it yields a "
                "comma-joined string, gjson reads it as one key; not verified)"
            )
        if ch in "*?":
            wild = True
        buf.append(ch)
        i += 1
    # a trailing "#" means count; "#" followed by more parts means "all"
    out: list[_Part] = []
    for idx, part in enumerate(parts):
        if part.kind == "count" and idx < len(parts) - 1:
            out.append(_Part("all"))
        else:
            out.append(part)
    return out


_OPS = ("==", "!=", "<=", ">=", "!%", "=", "<", ">", "%")


def _parse_query(inner: str, path: str) -> tuple[str, str, str]:
    depth, quote, i = 0, False, 0
    while i < len(inner):
        c = inner[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and c in "=!<>%":
            for op in _OPS:
                if inner.startswith(op, i):
                    key = inner[:i].strip()
                    value = inner[i + len(op) :].strip()
                    if value.startswith("~"):
                        raise UnsupportedConstruct(f"gjson query {path!r} (~ bool values)")
                    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                        value = json.loads(value)
                    return key, "=" if op == "==" else op, value
        i += 1
    return inner.strip(), "", ""


# --- evaluation -------------------------------------------------------------------------


def get(doc: Any, path: str) -> Result:
    """``gjson.Get``: look ``path`` up in the parsed JSON value ``doc``."""
    if path.startswith("[") or path.startswith("{"):
        return _multipath(doc, path)
    if path == "":
        return Result(False)
    return _walk(doc, _split(path))


def _multipath(doc: Any, path: str) -> Result:
    closing = "]" if path[0] == "[" else "}"
    if not path.endswith(closing):
        raise UnsupportedConstruct(f"gjson multipath {path!r} (only a whole-path [..] or {{..}})")
    inner = path[1:-1]
    if any(c in inner for c in "[]{}()|@\\"):
        raise UnsupportedConstruct(f"gjson multipath {path!r} (only simple sub-paths)")
    subs = [s.strip() for s in inner.split(",") if s.strip()]
    if path[0] == "[":
        values = [r.value for r in (get(doc, s) for s in subs) if r.exists]
        return Result(True, values)
    obj: dict[str, Any] = {}
    for s in subs:
        r = get(doc, s)
        if r.exists:
            obj[s.split(".")[-1]] = r.value
    return Result(True, obj)


def _walk(value: Any, parts: list[_Part]) -> Result:
    if not parts:
        return Result(True, value)
    part, rest = parts[0], parts[1:]
    if isinstance(value, list):
        if part.kind == "count":
            return Result(True, gojson.RawInt(str(len(value))))
        if part.kind == "all":
            collected = [r.value for r in (_walk(v, rest) for v in value) if r.exists]
            return Result(True, collected)
        if part.kind == "query":
            assert part.query is not None
            matches = [v for v in value if _matches(v, part.query)]
            if part.query_all:
                if not rest:
                    return Result(True, matches)
                collected = [r.value for r in (_walk(v, rest) for v in matches) if r.exists]
                return Result(True, collected)
            if not matches:
                return Result(False)
            return _walk(matches[0], rest)
        if part.kind == "key" and part.text.isdigit() and not part.wild:
            idx = int(part.text)
            if idx < len(value):
                return _walk(value[idx], rest)
        return Result(False)
    if isinstance(value, dict):
        if part.kind in ("count", "all"):
            key = "#"
        elif part.kind == "query":
            return Result(False)
        else:
            key = part.text
        if part.wild:
            for k in value:
                if fnmatch.fnmatchcase(k, key):
                    return _walk(value[k], rest)
            return Result(False)
        if key in value:
            return _walk(value[key], rest)
        return Result(False)
    return Result(False)


def _matches(element: Any, query: tuple[str, str, str]) -> bool:
    key, op, rpv = query
    res = get(element, key) if key else Result(True, element)
    if not res.exists:
        return False
    if op == "":
        return True
    t = res.type
    if t == "String":
        s = str(res.value)
        return _compare(s, rpv, op, glob=True)
    if t == "Number":
        return _compare(float(res.value), parse_float_or_zero(rpv), op, glob=False)
    if t == "True":
        return {"=": rpv == "true", "!=": rpv != "true", ">": rpv == "false", ">=": True}.get(
            op, False
        )
    if t == "False":
        return {"=": rpv == "false", "!=": rpv != "false", "<": rpv == "true", "<=": True}.get(
            op, False
        )
    return False


def _compare(left: Any, right: Any, op: str, *, glob: bool) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if glob and op == "%":
        return fnmatch.fnmatchcase(left, right)
    if glob and op == "!%":
        return not fnmatch.fnmatchcase(left, right)
    return False
