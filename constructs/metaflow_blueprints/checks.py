"""Checks shared by constructs of every cloud. Like every ``check_*``: ``(field, value, ...)``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from metaflow_blueprints.errors import BlueprintError, is_token


def check_int_range(
    field: str, value: object, low: int, high: int | None = None, *, unit: str = "", why: str = ""
) -> None:
    """Raise unless ``value`` is an integer within ``low``-``high`` (no upper bound if None).

    A Terraform token passes (design rule 7): its value is known only at plan time.
    ``unit`` follows the bounds in the message (``" s"``); ``why`` is added in parentheses.
    """
    if is_token(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
        high is not None and value > high
    ):
        bounds = f"within {low}-{high}" if high is not None else f"of at least {low}"
        reason = f" ({why})" if why else ""
        raise BlueprintError(field, value, f"must be an integer {bounds}{unit}{reason}.")


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
