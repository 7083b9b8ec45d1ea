"""Module specs derived from the constructs: the declarations of ``registry.py`` + signatures.

A :class:`Blueprint` declares only what is module-specific: which props become inputs (a
:class:`Var` per prop, a :class:`Part` for a prop that takes an object built from inputs),
values the module fixes, and why it leaves props out. Everything else comes from the
construct: each input's type and default from :func:`metaflow_blueprints.props.signature_params`
(prop groups expanded), its description from the ``:param:`` docstring, its validation from
the :mod:`metaflow_blueprints.rules` the construct checks it with. The props a module does
not expose (with the value they get and why) are computed from the same signature.
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints import props
from metaflow_blueprints.export.spec import REQUIRED, Fixed, Input, ModuleSpec, Output
from metaflow_blueprints.props import REQUIRED as NO_DEFAULT
from metaflow_blueprints.props import Param, signature_params
from metaflow_blueprints.rules import AnyRule
from metaflow_blueprints.runtime import Fn, is_unresolved

#: ``Var.default``: take the construct signature's default.
SIGNATURE: Any = object()
_TYPES = {str: "string", bool: "bool", int: "number", float: "number"}


@dataclass(frozen=True)
class Var:
    """A module input passed to the construct prop ``prop`` (default: the input's name)."""

    name: str
    #: The rules the construct checks the prop with (the same objects: one definition).
    rules: tuple[AnyRule, ...] = ()
    #: Rules that replace ``rules`` in the module where Terraform cannot do what Python does
    #: (e.g. the construct hashes long names); they must imply ``rules``.
    module_rules: tuple[AnyRule, ...] | None = None
    prop: str | None = None
    default: Any = SIGNATURE
    #: A null input means this value (a Terraform expression over the other inputs).
    fallback: Callable[[Mapping[str, Any]], Any] | None = None
    #: Applied to the value before it reaches the construct.
    convert: Callable[[Any], Any] | None = None
    description: str | None = None
    example: str | None = None
    type: str | None = None
    nullable: bool = True
    derived: str | None = None
    #: False: a module-only input (read by ``Blueprint.after``), not a construct prop.
    passed: bool = True

    @property
    def target(self) -> str:
        return self.prop or self.name


@dataclass(frozen=True)
class Part:
    """A construct prop taking an object that ``factory`` builds from ``inputs``.

    ``scope_id`` set: the factory is a construct, called as ``factory(stack, scope_id, ...)``.
    """

    prop: str
    factory: str  # "module:Class" or "module:Class.method"
    scope_id: str | None
    inputs: tuple[Var, ...]


@dataclass(frozen=True)
class Blueprint:
    """One exported blueprint: what the module takes, fixes and leaves out."""

    name: str
    construct: str  # "module:Class"
    summary: str
    inputs: tuple[Var | Part, ...]
    outputs: tuple[Output, ...]
    #: Construct props the module sets to a value other than their default.
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: Why a prop the module leaves out is left out (else a reason computed from its type).
    why: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: Called with (blueprint construct, inputs) after it is built (module-only wiring).
    after: Callable[[Any, Mapping[str, Any]], None] | None = None


def load(target: str) -> Any:
    """``module:Name`` or ``module:Name.attr``."""
    module, _, path = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def props_of(target: str) -> dict[str, Param]:
    obj = load(target)
    fn = obj.__init__ if inspect.isclass(obj) else obj
    return {p.name: p for p in signature_params(fn) if p.name != "id"}


def param_docs(target: str) -> dict[str, str]:
    """``:param name: text`` of a construct's (or factory's) props, its prop groups'
    docstrings included (:func:`metaflow_blueprints.props.param_docs`), one line each."""
    return {name: text.replace("``", "`") for name, text in props.param_docs(load(target)).items()}


def either(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when it is null: ``coalesce`` for tokens, Python otherwise."""
    if is_unresolved(value) or is_unresolved(default):
        return Fn.coalesce([value, default])
    return default if value is None else value


def _scalar(hint: Any) -> type | None:
    """``str`` for ``str`` / ``str | None``; None for anything a variable cannot carry."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return _scalar(args[0]) if len(args) == 1 else None
    if origin is typing.Literal:
        return type(args[0]) if len({type(a) for a in args}) == 1 else None
    return hint if hint in _TYPES else None


def _input(var: Var, param: Param | None, docs: Mapping[str, str], where: str) -> Input:
    if var.passed and param is None:
        raise ValueError(f"{where}: {var.target!r} is not a prop of the construct")
    kind = var.type or (_TYPES[_scalar(param.hint) or str] if param is not None else "string")
    default = var.default
    if default is SIGNATURE:
        default = REQUIRED if param is None or param.default is NO_DEFAULT else param.default
    description = var.description or docs.get(var.target)
    if description is None:
        raise ValueError(f"{where}: input {var.name!r} has no description and no :param: doc")
    return Input(
        var.name, type=kind, default=default, description=description,
        validations=var.rules if var.module_rules is None else var.module_rules,
        construct_rules=var.rules,
        derived=var.derived, nullable=var.nullable, example=var.example,
    )


def _reason(param: Param) -> str:
    if _scalar(param.hint) is None:
        return "takes a Python object, which a Terraform variable cannot carry"
    return "fixed at the construct's default"


def _fixed(target: str, used: set[str], fixed: Mapping[str, Any], why: Mapping[str, str],
           owner: str = "") -> list[Fixed]:
    out = []
    for param in props_of(target).values():
        if param.name in used:
            continue
        value = fixed.get(param.name, param.default)
        text = "required" if value is NO_DEFAULT else repr(value)
        text = "empty" if text == "<factory>" else text  # a dataclass field's default_factory
        reason = why.get(f"{owner}{param.name}") or (
            "set by the module" if param.name in fixed else _reason(param)
        )
        out.append(Fixed(f"{owner}{param.name}", text, reason))
    return out


def spec(bp: Blueprint) -> ModuleSpec:
    """The :class:`ModuleSpec` of ``bp``: inputs resolved against the construct."""
    construct = props_of(bp.construct)
    docs = param_docs(bp.construct)
    inputs: list[Input] = []
    fixed: list[Fixed] = []
    for item in bp.inputs:
        if isinstance(item, Part):
            part_props = props_of(item.factory)
            part_docs = param_docs(item.factory)
            for var in item.inputs:
                where = f"{bp.name}.{item.prop}"
                inputs.append(_input(var, part_props.get(var.target), part_docs, where))
            used = {var.target for var in item.inputs}
            fixed += _fixed(item.factory, used, {}, bp.why, f"{item.prop}.")
        else:
            inputs.append(_input(item, construct.get(item.target), docs, bp.name))
    given = {i.target if isinstance(i, Var) else i.prop for i in bp.inputs} | set(bp.fixed)
    fixed = _fixed(bp.construct, given - set(bp.fixed), bp.fixed, bp.why) + fixed
    return ModuleSpec(
        name=bp.name, blueprint=bp.construct, summary=bp.summary, inputs=tuple(inputs),
        outputs=bp.outputs, build=_builder(bp), notes=bp.notes, fixed=tuple(fixed),
    )


def _value(var: Var, values: Mapping[str, Any]) -> Any:
    value = values[var.name]
    if var.fallback is not None:
        value = either(value, var.fallback(values))
    return var.convert(value) if var.convert is not None else value


def _builder(bp: Blueprint) -> Callable[[Any, Mapping[str, Any]], Any]:
    def build(stack: Any, values: Mapping[str, Any]) -> Any:
        kwargs: dict[str, Any] = dict(bp.fixed)
        for item in bp.inputs:
            if isinstance(item, Part):
                args = {var.target: _value(var, values) for var in item.inputs}
                factory = load(item.factory)
                scope = () if item.scope_id is None else (stack, item.scope_id)
                kwargs[item.prop] = factory(*scope, **args)
            elif item.passed:
                kwargs[item.target] = _value(item, values)
        blueprint = load(bp.construct)(stack, bp.name.replace("-", "_"), **kwargs)
        if bp.after is not None:
            bp.after(blueprint, values)
        return blueprint

    return build
