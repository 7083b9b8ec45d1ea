"""Checks shared by constructs of every cloud. Like every ``check_*``: ``(field, value, ...)``."""

from __future__ import annotations

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import is_unresolved


def check_int_range(
    field: str, value: object, low: int, high: int | None = None, *, unit: str = "", why: str = ""
) -> None:
    """Raise unless ``value`` is an integer within ``low``-``high`` (no upper bound if None).

    A Terraform token passes (design rule 7): its value is known only at plan time.
    ``unit`` follows the bounds in the message (``" s"``); ``why`` is added in parentheses.
    """
    if is_unresolved(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
        high is not None and value > high
    ):
        bounds = f"within {low}-{high}" if high is not None else f"of at least {low}"
        reason = f" ({why})" if why else ""
        raise BlueprintError(field, value, f"must be an integer {bounds}{unit}{reason}.")
