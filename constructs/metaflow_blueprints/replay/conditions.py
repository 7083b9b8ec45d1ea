"""Trigger ``conditions``: boolean expressions over dependency names (``-`` read as ``_``)."""

from __future__ import annotations

import re

from .errors import EvalError

_TOKEN = re.compile(r"\s*(&&|\|\||\(|\)|[A-Za-z0-9_\-.]+)")


def dependency_names(expression: str) -> list[str]:
    """Names mentioned in ``expression``, normalised (``-`` -> ``_``), in order."""
    seen: list[str] = []
    for tok in _tokens(expression):
        if tok not in ("&&", "||", "(", ")") and tok not in seen:
            seen.append(tok)
    return seen


def _tokens(expression: str) -> list[str]:
    toks: list[str] = []
    pos = 0
    text = expression.replace("-", "_")
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise EvalError(f"cannot parse conditions {expression!r} at {text[pos:]!r}")
        toks.append(m.group(1))
        pos = m.end()
    return toks


def evaluate(expression: str, satisfied: set[str]) -> bool:
    """Evaluate with ``satisfied`` (normalised names) true and every other name false."""
    toks = _tokens(expression)
    pos = 0

    def or_() -> bool:
        nonlocal pos
        value = and_()
        while pos < len(toks) and toks[pos] == "||":
            pos += 1
            right = and_()
            value = value or right
        return value

    def and_() -> bool:
        nonlocal pos
        value = atom()
        while pos < len(toks) and toks[pos] == "&&":
            pos += 1
            right = atom()
            value = value and right
        return value

    def atom() -> bool:
        nonlocal pos
        if pos >= len(toks):
            raise EvalError(f"unexpected end of conditions {expression!r}")
        tok = toks[pos]
        pos += 1
        if tok == "(":
            value = or_()
            if pos >= len(toks) or toks[pos] != ")":
                raise EvalError(f"missing ) in conditions {expression!r}")
            pos += 1
            return value
        if tok in ("&&", "||", ")"):
            raise EvalError(f"unexpected {tok!r} in conditions {expression!r}")
        return tok in satisfied

    result = or_()
    if pos != len(toks):
        raise EvalError(f"unexpected {toks[pos]!r} in conditions {expression!r}")
    return result
