"""How a blueprint becomes a Terraform module: which props are inputs, which attributes outputs.

A :class:`ModuleSpec` is derived per blueprint (``export/derive.py`` from the declarations in
``export/registry.py`` and the construct's signature). Inputs turn into ``variable`` blocks
whose tokens are passed to the construct; the construct skips its text checks on tokens, so
each input carries the construct's :class:`~metaflow_blueprints.rules.Rule` objects as
Terraform ``validation`` blocks (``terraform plan`` reports what synth would have).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.rules import AnyRule

#: Marker for a required input (no default).
REQUIRED: Any = object()


@dataclass(frozen=True)
class Input:
    """One module variable. ``description=None`` takes the prop's ``:param:`` docstring."""

    name: str
    type: str = "string"
    default: Any = REQUIRED
    description: str | None = None
    sensitive: bool = False
    validations: tuple[AnyRule, ...] = ()
    #: The rules the construct checks the prop with; ``validations`` equals them unless the
    #: module must be stricter (what it accepts, the construct accepts too).
    construct_rules: tuple[AnyRule, ...] = ()
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
class Fixed:
    """A construct prop the module does not expose: its value at generation, and why."""

    prop: str
    value: str  # as Python writes it (repr), or a description of the object
    reason: str


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
    fixed: tuple[Fixed, ...] = field(default_factory=tuple)

    def check_value(self, name: str, value: str | None) -> None:
        """Raise ``BlueprintError`` as the module's validation would at plan time."""
        (spec,) = [item for item in self.inputs if item.name == name]
        for rule in spec.validations:
            if value is not None and not rule.accepts(value):
                raise BlueprintError(name, value, rule.message)
