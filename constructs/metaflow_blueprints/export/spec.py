"""How a blueprint becomes a Terraform module: which props are inputs, which attributes outputs.

A :class:`ModuleSpec` is written once per blueprint (see ``export/registry.py``). Inputs turn
into ``variable`` blocks whose tokens are passed to the construct; the construct skips its
text checks on tokens, so each input carries the same rule as a Terraform ``validation``
(the regex the construct uses, so ``terraform plan`` reports what synth would have).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints.argo.regex import re2_error
from metaflow_blueprints.errors import BlueprintError

#: Marker for a required input (no default).
REQUIRED: Any = object()


@dataclass(frozen=True)
class Validation:
    """A Terraform ``validation`` block; ``regex`` is evaluated by Terraform's ``regex()``.

    ``max_length`` adds ``length(var.x) <= n``, ``forbidden`` excludes exact values. A null
    value passes (nullable inputs).
    """

    message: str
    regex: str | None = None
    max_length: int | None = None
    forbidden: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.regex is not None and ("${" in self.regex or "%{" in self.regex):
            raise ValueError(f"regex {self.regex!r} would be read as a Terraform template")
        if self.regex is not None:
            error = re2_error(self.regex)
            if error is not None:
                raise ValueError(f"regex {self.regex!r} is not RE2 (Terraform's regex()): {error}")

    def condition(self, var: str) -> str:
        """The Terraform condition for ``var.<var>`` (``||`` may not short-circuit: guarded)."""
        ref = f"var.{var}"
        tests = []
        if self.regex is not None:
            pattern = self.regex.replace("\\", "\\\\").replace('"', '\\"')
            tests.append(f'can(regex("{pattern}", {ref}))')
        if self.max_length is not None:
            tests.append(f"try(length({ref}), 0) <= {self.max_length}")
        if self.forbidden:
            values = ", ".join(f'"{value}"' for value in self.forbidden)
            tests.append(f"try(!contains([{values}], {ref}), true)")
        return "${" + f"{ref} == null || ({' && '.join(tests)})" + "}"

    def accepts(self, value: str | None) -> bool:
        """Evaluate the condition in Python (RE2's ``$`` is Python's ``\\Z``)."""
        if value is None:
            return True
        if self.regex is not None:
            pattern = re.sub(r"\$$", r"\\Z", self.regex)
            if re.search(pattern, value) is None:
                return False
        if value in self.forbidden:
            return False
        return self.max_length is None or len(value) <= self.max_length


@dataclass(frozen=True)
class Input:
    """One module variable. ``description=None`` takes the prop's ``:param:`` docstring."""

    name: str
    type: str = "string"
    default: Any = REQUIRED
    description: str | None = None
    sensitive: bool = False
    validations: tuple[Validation, ...] = ()
    #: Literal that replaces names the construct derives in Python from this input's token
    #: (``derive_name(token)``): e.g. ``${var.name}`` for an object-name stem.
    derived: str | None = None
    #: ``False`` writes ``nullable = false``: an explicit null then means the default.
    nullable: bool = True
    #: Value shown for this input in the README's example ``module`` block (HCL literal
    #: text is quoted for you). Default ``<name>``.
    example: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Output:
    """One module output: ``value`` reads it from the blueprint construct."""

    name: str
    value: Callable[[Any], Any]
    description: str
    sensitive: bool = False


@dataclass(frozen=True)
class ModuleSpec:
    """Everything needed to export one blueprint as a module."""

    name: str
    blueprint: str  # "module:Class", imported lazily
    summary: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    #: Builds the blueprint in ``stack`` from input name -> token (or expression).
    build: Callable[[Any, Mapping[str, Any]], Any]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def check_value(self, name: str, value: str | None) -> None:
        """Raise ``BlueprintError`` as the module's validation would at plan time."""
        (spec,) = [item for item in self.inputs if item.name == name]
        for rule in spec.validations:
            if not rule.accepts(value):
                raise BlueprintError(name, value, rule.message)
