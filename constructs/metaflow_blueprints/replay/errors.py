"""Exceptions raised by replay."""

from __future__ import annotations


class ReplayError(Exception):
    """Bad input: unknown source, malformed event or stack, missing file."""


class UnsupportedConstruct(ReplayError):
    """The stack uses a construct replay does not evaluate faithfully (never guessed)."""

    def __init__(self, construct: str, where: str = "") -> None:
        self.construct = construct
        self.where = where
        suffix = f" (in {where})" if where else ""
        super().__init__(f"unsupported construct: {construct}{suffix}")


class EvalError(Exception):
    """An evaluation error that Argo Events itself would report (missing path, bad regex...).

    These are part of the simulated behaviour (they fail a filter or a parameter), not bugs
    in the input.
    """
