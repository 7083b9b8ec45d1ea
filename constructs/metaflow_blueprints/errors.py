"""The one exception type the library raises for bad input."""

from __future__ import annotations


class BlueprintError(ValueError):
    """Bad input caught at synth time: names the field, shows the value, says how to fix it."""

    def __init__(self, field: str, value: object, problem: str, fix: str = "") -> None:
        self.field = field
        self.value = value
        message = f"{field}={value!r}: {problem}"
        if fix:
            message += f" {fix}"
        super().__init__(message)


def is_placeholder(value: object) -> bool:
    """True for a string that holds a Terraform expression or a cdktf token (``${...}``).

    Such values are only known at plan time, so checks on their text are skipped. The
    `argo` and `metaflow` layers use this instead of cdktf's ``Token.is_unresolved`` so
    that they stay free of cdktf; cdktf string tokens always render as ``${TfToken[...]}``.
    """
    return isinstance(value, str) and "${" in value
