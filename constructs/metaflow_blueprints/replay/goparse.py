"""Go ``strconv`` parsing rules (``ParseFloat``, ``ParseBool``)."""

from __future__ import annotations

import math
import re

from .errors import EvalError

_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)")
_SPECIAL = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+")

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_float(text: str) -> float:
    """``strconv.ParseFloat(text, 64)``; raises :class:`EvalError` like Go would."""
    if _FLOAT.fullmatch(text):
        value = float(text)
        if math.isinf(value):
            raise EvalError(f'strconv.ParseFloat: parsing "{text}": value out of range')
        return value
    if _SPECIAL.fullmatch(text):
        return float(text)
    if _HEX.fullmatch(text):
        return float.fromhex(text)
    raise EvalError(f'strconv.ParseFloat: parsing "{text}": invalid syntax')


def parse_float_or_zero(text: str) -> float:
    """gjson's lenient conversion: 0 when ``ParseFloat`` fails."""
    try:
        return parse_float(text)
    except EvalError:
        return 0.0


def parse_bool(text: str) -> bool:
    """``strconv.ParseBool``."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise EvalError(f'strconv.ParseBool: parsing "{text}": invalid syntax')
