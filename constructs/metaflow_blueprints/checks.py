"""Checks shared by constructs of every cloud. Like every ``check_*``: ``(field, value, ...)``.

Integer bounds are data: :class:`metaflow_blueprints.rules.IntRange`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from metaflow_blueprints.errors import BlueprintError, is_token


def check_each(
    field: str, values: Any, pattern: re.Pattern[str], problem: str, fix: str = ""
) -> tuple[str, ...]:
    """``values`` is a list (not a string) of strings matching ``pattern``; Terraform tokens
    (an element, or a whole list variable) are not checked. Returns them as a tuple."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise BlueprintError(field, values, "must be a list of strings.", f"Write [{values!r}].")
    for value in () if is_token(list(values)) else values:
        if not isinstance(value, str) or (
            not is_token(value) and not pattern.fullmatch(value)
        ):
            raise BlueprintError(field, value, problem, fix)
    return tuple(values)
