"""RE2, the regex dialect of every engine our patterns reach (Go's regexp in Argo Events,
Terraform's ``regex()``), checked with the real RE2 library (``google-re2``)."""

from __future__ import annotations

import re2

from metaflow_blueprints.errors import BlueprintError, is_token

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors come back as exceptions, not as stderr noise


def re2_error(pattern: str) -> str | None:
    """RE2's complaint about ``pattern``, or None when RE2 compiles it."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        return detail.decode() if isinstance(detail, bytes) else str(detail)
    return None


def check_re2(field: str, pattern: str) -> str:
    """Raise unless ``pattern`` is an RE2 regular expression; return it (tokens pass)."""
    if is_token(pattern):
        return pattern
    if not isinstance(pattern, str):
        raise BlueprintError(field, pattern, "must be a regular expression (a string).")
    error = re2_error(pattern)
    if error is not None:
        raise BlueprintError(
            field,
            pattern,
            f"is not an RE2 regular expression ({error}).",
            "Argo Events and Terraform match with Go's RE2 syntax: no lookaround "
            "((?=...), (?!...), (?<=...)), no backreferences (\\1), repetition counts up "
            "to 1000; see https://github.com/google/re2/wiki/Syntax.",
        )
    return pattern
