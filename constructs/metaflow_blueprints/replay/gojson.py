"""JSON values as Go's ``encoding/json`` and gjson see them.

Numbers parsed from JSON text keep their literal (:class:`RawFloat`), so that gjson
``String()``/``Raw`` give what Go gives. :func:`dumps` writes compact JSON the way
``json.Marshal`` does: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, map keys sorted
when ``sort_keys`` (Go maps) and kept in order otherwise (``json.RawMessage``, sjson).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

JSON = Any


class RawFloat(float):
    """A float parsed from JSON text that remembers its literal (``1.50``, ``1e3``)."""

    raw: str

    def __new__(cls, literal: str) -> RawFloat:
        obj = super().__new__(cls, literal)
        obj.raw = literal
        return obj


class RawInt(int):
    """An integer parsed from JSON text that remembers its literal (``-0``)."""

    raw: str

    def __new__(cls, literal: str) -> RawInt:
        obj = super().__new__(cls, literal)
        obj.raw = literal
        return obj


def loads(text: str | bytes) -> JSON:
    """Parse JSON keeping number literals; raises ``ValueError`` on invalid JSON."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return json.loads(text, parse_float=RawFloat, parse_int=RawInt, parse_constant=_reject)


def _reject(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and decimal exponent ``dp`` (value = 0.digits * 10**dp)."""
    sign, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    del sign
    ds = "".join(str(d) for d in digits) or "0"
    assert isinstance(exponent, int)
    return ds, len(ds) + exponent


def go_json_float(value: float) -> str:
    """``encoding/json`` float64 formatting ('f' unless exponent < -6 or >= 21)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    absv = abs(value)
    if absv < 1e-6 or absv >= 1e21:
        return _format_e(value, min_exp_digits=1)
    return _format_f(value)


def go_fmt_float(value: float) -> str:
    """``fmt`` ``%v`` of a float64: strconv 'g' shortest, so 1e6 prints as ``1e+06``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    _, dp = _shortest_digits(value)
    exp = dp - 1
    if exp < -4 or exp >= 6:
        return _format_e(value, min_exp_digits=2)
    return _format_f(value)


def _format_f(value: float) -> str:
    digits, dp = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return f"{sign}{digits}{'0' * (dp - len(digits))}"
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def _format_e(value: float, *, min_exp_digits: int) -> str:
    digits, dp = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = dp - 1
    esign = "-" if exp < 0 else "+"
    return f"{sign}{mant}e{esign}{str(abs(exp)).zfill(min_exp_digits)}"


def format_float_f(value: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    return _format_f(value)


def number_text(value: int | float) -> str:
    """How ``json.Marshal`` writes a number we hold (literal kept when known)."""
    if isinstance(value, (RawFloat, RawInt)):
        return value.raw
    if isinstance(value, int):
        return str(value)
    return go_json_float(value)


_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def quote(text: str, *, html: bool = True) -> str:
    """A JSON string literal as Go writes it."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif ch in _HTML and (html or code > 0x7F):
            out.append(_HTML[ch])
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dumps(value: JSON, *, sort_keys: bool = False, html: bool = True) -> str:
    """Compact JSON as Go writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value, html=html)
    if is_number(value):
        return number_text(value)
    if isinstance(value, dict):
        items = sorted(value.items()) if sort_keys else list(value.items())
        inner = ",".join(
            quote(str(k), html=html) + ":" + dumps(v, sort_keys=sort_keys, html=html)
            for k, v in items
        )
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v, sort_keys=sort_keys, html=html) for v in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def as_go_floats(value: JSON) -> JSON:
    """Every number as a plain float64, as after ``json.Unmarshal`` into ``interface{}``."""
    if isinstance(value, dict):
        return {k: as_go_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_go_floats(v) for v in value]
    if is_number(value):
        return float(value)
    return value


def plain(value: JSON) -> JSON:
    """Plain Python values (numbers as Go would print them, re-read) for output to users."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if is_number(value):
        return json.loads(number_text(value))
    return value
