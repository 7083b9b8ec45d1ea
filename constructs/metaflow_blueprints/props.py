"""Check props against their type hints before a construct creates anything.

``@checked`` on a blueprint's ``__init__`` (or a factory) compares every argument with its
annotation and raises a :class:`BlueprintError` naming the prop and the value, so a
``None``, a number given as a string or a NaN never reaches jsii or Terraform as a
``TypeError``/``RuntimeError``. Terraform tokens pass (checked at plan time instead).

Props that several blueprints share are a *prop group*: a ``TypedDict`` (``total=False``)
registered with its defaults by :func:`prop_group`, taken as flat keyword arguments through
``**options: Unpack[Group]``. :func:`signature_params` lists a callable's props with the
groups expanded: the one view ``@checked``, the module export and the docs read.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import is_unresolved

F = TypeVar("F", bound=Callable[..., Any])
G = TypeVar("G", bound=type)
_SKIP = ("self", "scope")
#: Marks a required prop in :class:`Param` (``inspect.Parameter.empty``).
REQUIRED = inspect.Parameter.empty
_GROUP_DEFAULTS: dict[type, Mapping[str, Any]] = {}


@dataclass(frozen=True)
class Param:
    """One prop of a construct: its name, type hint, default (or :data:`REQUIRED`) and the
    prop group it belongs to (None for a plain keyword argument)."""

    name: str
    hint: Any
    default: Any
    group: type | None = None


def prop_group(defaults: Mapping[str, Any]) -> Callable[[G], G]:
    """Register a ``TypedDict`` as a prop group; ``defaults`` holds every member's default."""

    def register(group: G) -> G:
        members = set(typing.get_type_hints(group))
        if set(defaults) != members:
            raise ValueError(f"{group.__name__}: defaults {sorted(defaults)} != {sorted(members)}")
        _GROUP_DEFAULTS[group] = dict(defaults)
        return group

    return register


def group_values(group: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every member of ``group``: the given value, else the group's default."""
    return {**_GROUP_DEFAULTS[group], **given}


def group_defaults(group: type) -> dict[str, Any]:
    """The registered default of every member of ``group`` (to build a group on another)."""
    return dict(_GROUP_DEFAULTS[group])


def pick(group: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that are members of ``group`` (to forward a sub-group)."""
    members = _GROUP_DEFAULTS[group]
    return {name: value for name, value in values.items() if name in members}


def signature_params(fn: Callable[..., Any]) -> list[Param]:
    """The props of ``fn`` in signature order, prop groups (``**kw: Unpack[G]``) expanded."""
    hints = _hints(fn)
    out: list[Param] = []
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.name in _SKIP or parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            group = _unpacked_group(hints.get(parameter.name))
            if group is not None:
                defaults = _GROUP_DEFAULTS[group]
                for name, hint in typing.get_type_hints(group).items():
                    out.append(Param(name, hint, defaults[name], group))
            continue
        out.append(Param(parameter.name, hints.get(parameter.name, Any), parameter.default))
    return out


#: One ``:param name: text`` entry of a docstring (up to the next entry or a blank line).
_PARAM_DOC = re.compile(r":param (\w+):(.*?)(?=\n\s*:param |\n\s*\n|\Z)", re.S)


def docstring_params(doc: str | None) -> dict[str, str]:
    """The ``:param name: text`` entries of ``doc``, whitespace collapsed (an entry naming
    several props, ``:param a, b:``, is not one of them)."""
    return {m.group(1): " ".join(m.group(2).split()) for m in _PARAM_DOC.finditer(doc or "")}


def group_docs(group: type) -> dict[str, str]:
    """The ``:param:`` text of every member of ``group``, from its own docstring and those of
    the registered groups it extends (a ``TypedDict`` keeps no bases: those are the groups
    whose members it has, registered before it)."""
    members = _GROUP_DEFAULTS[group].keys()
    out: dict[str, str] = {}
    for other in [*_GROUP_DEFAULTS][: [*_GROUP_DEFAULTS].index(group) + 1]:
        if _GROUP_DEFAULTS[other].keys() <= members:
            out.update(docstring_params(other.__dict__.get("__doc__")))
    return out


def param_docs(owner: Callable[..., Any]) -> dict[str, str]:
    """The ``:param:`` text of every prop of a construct class or factory: its prop groups'
    docstrings, then its own docstring (which may say more about a group member)."""
    fn = owner.__init__ if isinstance(owner, type) else owner  # type: ignore[misc]
    out: dict[str, str] = {}
    for group in dict.fromkeys(p.group for p in signature_params(fn) if p.group is not None):
        out.update(group_docs(group))
    out.update(docstring_params(inspect.getdoc(owner)))
    return out


def _unpacked_group(hint: Any) -> type | None:
    """``G`` of an ``Unpack[G]`` annotation for a registered prop group, else None."""
    if typing.get_origin(hint) is typing.Unpack:
        (group,) = typing.get_args(hint)
        if group in _GROUP_DEFAULTS:
            return typing.cast(type, group)
        raise TypeError(f"{group!r} is not a registered prop group (use @prop_group)")
    return None


def checked(fn: F) -> F:
    """Decorate ``fn`` so that its arguments are checked against its annotations first.

    Members of a prop group are checked like plain props; an unknown keyword is refused.
    """
    signature = inspect.signature(fn)
    hints = _hints(fn)
    owner = fn.__qualname__.split(".")[0]
    grouped = {
        name: _unpacked_group(hint)
        for name, hint in hints.items()
        if signature.parameters.get(name, None) is not None
        and signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD
    }
    group_hints = {
        name: typing.get_type_hints(group) for name, group in grouped.items() if group is not None
    }

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise BlueprintError(owner, kwargs or args, f"{exc}.") from None
        for name, value in bound.arguments.items():
            if name in _SKIP or name not in hints:
                continue
            if name in group_hints:
                _check_group(owner, value, group_hints[name])
            else:
                check_type(name, value, hints[name])
        return fn(*args, **kwargs)

    return typing.cast(F, wrapper)


def _check_group(owner: str, given: Mapping[str, Any], members: Mapping[str, Any]) -> None:
    for name, value in given.items():
        if name not in members:
            raise BlueprintError(
                name, value, f"is not a prop of {owner}; its props are listed in its docstring."
            )
        check_type(name, value, members[name])


def check_type(field: str, value: Any, hint: Any) -> None:
    """Raise a :class:`BlueprintError` unless ``value`` fits ``hint``.

    Inside a list or mapping the error shows the offending element: ``events`` with value
    ``'x'`` for a bad item, ``payload['a']`` for a bad mapping value.
    """
    if _fits(value, hint):
        return
    where, bad, wanted = _locate(field, value, hint)
    raise BlueprintError(where, bad, f"must be {describe(wanted)}.")


def _locate(field: str, value: Any, hint: Any) -> tuple[str, Any, Any]:
    """The innermost (field, value, hint) that does not fit, for a clearer message."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        containers = [a for a in typing.get_args(hint) if _container_kind(a) == _kind_of(value)]
        if len(containers) == 1 and _kind_of(value) is not None:
            return _locate(field, value, containers[0])
        return field, value, hint
    kind = _container_kind(hint)
    args = typing.get_args(hint)
    if kind == "sequence" and _kind_of(value) == "sequence" and args:
        for item in value:
            if not _fits(item, args[0]):
                return _locate(field, item, args[0])
    if kind == "mapping" and _kind_of(value) == "mapping" and len(args) == 2:
        for key, item in value.items():
            if not _fits(key, args[0]):
                return field, key, args[0]
            if not _fits(item, args[1]):
                return _locate(f"{field}[{key!r}]", item, args[1])
    return field, value, hint


def _container_kind(hint: Any) -> str | None:
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        return "sequence"
    if origin in (collections.abc.Mapping, dict):
        return "mapping"
    return None


def _kind_of(value: Any) -> str | None:
    if isinstance(value, collections.abc.Mapping):
        return "mapping"
    if isinstance(value, collections.abc.Sequence) and not isinstance(value, (str, bytes)):
        return "sequence"
    return None


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """Annotations resolved one by one; one that cannot be resolved is not checked."""
    out: dict[str, Any] = {}
    fn = inspect.unwrap(fn)
    namespace = getattr(fn, "__globals__", {})
    for name, text in getattr(fn, "__annotations__", {}).items():
        if name == "return":
            continue
        try:
            out[name] = eval(text, namespace) if isinstance(text, str) else text
        except Exception:
            continue
    return out


def _fits(value: Any, hint: Any) -> bool:
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_fits(value, arg) for arg in args)
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Literal:
        return any(value == arg and type(value) is type(arg) for arg in args)
    if hint is bool:
        return isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is int:
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (_finite(value) and is_unresolved(value))
    if hint is float:
        return not isinstance(value, bool) and _finite(value)
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Iterable):
            return False
        if not isinstance(value, (list, tuple, collections.abc.Sequence)):
            return False
        element = args[0] if args else Any
        return all(_fits(item, element) for item in value)
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, collections.abc.Mapping):
            return False
        key, item = args if len(args) == 2 else (Any, Any)
        return all(_fits(k, key) and _fits(v, item) for k, v in value.items())
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint this checker does not model: leave it to the construct


def _finite(value: Any) -> bool:
    """A finite float or int (a number token is finite; NaN must never reach jsii)."""
    return isinstance(value, (int, float)) and math.isfinite(value)


def describe(hint: Any) -> str:
    """``str | None`` -> "a string or None"; used in error messages."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(describe(arg) for arg in args)
    if hint is None or hint is type(None):
        return "None"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    simple = {str: "a string", int: "an integer", bool: "True or False", float: "a finite number"}
    if hint in simple:
        return simple[hint]
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        return f"a list of ({describe(args[0]) if args else 'values'})"
    if origin in (collections.abc.Mapping, dict):
        if len(args) == 2:
            return f"a mapping of ({describe(args[0])}) to ({describe(args[1])})"
        return "a mapping"
    return f"a {getattr(hint, '__name__', str(hint))}"
