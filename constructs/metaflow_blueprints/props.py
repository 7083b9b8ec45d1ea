"""Check props against their type hints before a construct creates anything.

``@checked`` on a blueprint's ``__init__`` (or a factory) compares every argument with its
annotation and raises a :class:`BlueprintError` naming the prop and the value, so a
``None``, a number given as a string or a NaN never reaches jsii or Terraform as a
``TypeError``/``RuntimeError``. Terraform tokens pass (checked at plan time instead).

Props that several blueprints share are a *prop group*: a ``TypedDict`` (``total=False``)
registered with the defaults of its optional members by :func:`prop_group`, taken as flat
keyword arguments through ``**props: Unpack[Group]``. A member declared ``Required[...]``
(PEP 655) has no default: type checkers refuse a call without it, and ``@checked`` refuses
it at run time. :func:`signature_params` lists a callable's props with the groups expanded:
the one view ``@checked``, the module export and the docs read.
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

from metaflow_blueprints.errors import BlueprintError, is_token

F = TypeVar("F", bound=Callable[..., Any])
G = TypeVar("G", bound=type)
_SKIP = ("self", "scope")
#: Marks a required prop in :class:`Param` (``inspect.Parameter.empty``).
REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class _Group:
    """A registered prop group: every member's hint (declaration order, bases first), the
    defaults of the optional members and the names of the required ones."""

    hints: Mapping[str, Any]
    defaults: Mapping[str, Any]
    required: frozenset[str]


_GROUPS: dict[type, _Group] = {}


@dataclass(frozen=True)
class Param:
    """One prop of a construct: its name, type hint, default (or :data:`REQUIRED`) and the
    prop group it belongs to (None for a plain keyword argument)."""

    name: str
    hint: Any
    default: Any
    group: type | None = None


def prop_group(defaults: Mapping[str, Any]) -> Callable[[G], G]:
    """Register a ``TypedDict`` as a prop group; ``defaults`` holds the default of every
    optional member and of no ``Required[...]`` one."""

    def register(group: G) -> G:
        hints = typing.get_type_hints(group)
        required = _required_members(group)
        optional = set(hints) - required
        given = set(defaults)
        if given & required:
            raise ValueError(
                f"{group.__name__}: {sorted(given & required)} are required: they take no default"
            )
        if given != optional:
            raise ValueError(
                f"{group.__name__}: defaults {sorted(given)} != optional members {sorted(optional)}"
            )
        _GROUPS[group] = _Group(hints, dict(defaults), frozenset(required))
        return group

    return register


def _required_members(group: type) -> set[str]:
    """Members declared ``Required[...]`` (or not ``NotRequired[...]`` in a total group).

    Read from the annotations, not ``__required_keys__``: Python 3.11 computes that from the
    unevaluated strings under ``from __future__ import annotations`` and misses ``Required``.
    """
    out: set[str] = set()
    for name, hint in typing.get_type_hints(group, include_extras=True).items():
        origin = typing.get_origin(hint)
        if origin is typing.Required or (
            origin is not typing.NotRequired and name in group.__required_keys__  # type: ignore[attr-defined]
        ):
            out.add(name)
    return out


def group_values(group: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every member of ``group`` given or optional: the given value, else its default."""
    return {**_GROUPS[group].defaults, **given}


def group_defaults(*groups: type) -> dict[str, Any]:
    """The registered defaults of the optional members of ``groups`` (to register a group
    built on them)."""
    return {name: value for group in groups for name, value in _GROUPS[group].defaults.items()}


def pick(group: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that are members of ``group`` (to forward a sub-group)."""
    members = _GROUPS[group].hints
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
                registered = _GROUPS[group]
                for name, hint in registered.hints.items():
                    default = registered.defaults.get(name, REQUIRED)
                    out.append(Param(name, hint, default, group))
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
    members = _GROUPS[group].hints.keys()
    out: dict[str, str] = {}
    for other in [*_GROUPS][: [*_GROUPS].index(group) + 1]:
        if _GROUPS[other].hints.keys() <= members:
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
        if group in _GROUPS:
            return typing.cast(type, group)
        raise TypeError(f"{group!r} is not a registered prop group (use @prop_group)")
    return None


def checked(fn: F) -> F:
    """Decorate ``fn`` so that its arguments are checked against its annotations first.

    Members of a prop group are checked like plain props; a missing required member and an
    unknown keyword are refused.
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
    groups = {name: _GROUPS[group] for name, group in grouped.items() if group is not None}

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise BlueprintError(owner, kwargs or args, f"{exc}.") from None
        for name, value in bound.arguments.items():
            if name in _SKIP or name not in hints:
                continue
            if name in groups:
                _check_group(owner, value, groups[name])
            else:
                check_type(name, value, hints[name])
        for name in groups.keys() - bound.arguments.keys():  # no member given at all
            _check_group(owner, {}, groups[name])
        return fn(*args, **kwargs)

    return typing.cast(F, wrapper)


def _check_group(owner: str, given: Mapping[str, Any], group: _Group) -> None:
    for name in group.hints:
        if name in group.required and name not in given:
            raise BlueprintError(name, None, f"is required by {owner}.")
    for name, value in given.items():
        if name not in group.hints:
            raise BlueprintError(
                name, value, f"is not a prop of {owner}; its props are listed in its docstring."
            )
        check_type(name, value, group.hints[name])


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
        return isinstance(value, int) or (_finite(value) and is_token(value))
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
