"""Docstrings of the public API: every prop has its own ``:param:`` with its default, every
public attribute is listed.

The public API is ``metaflow_blueprints._EXPORTS`` (every blueprint class is one) and the
static/class-method factories of those classes. Props come from
``props.signature_params`` (prop groups expanded) and their text from ``props.param_docs``
(the class docstring, else the group's): the same text the module export turns into
variable descriptions.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from metaflow_blueprints import _EXPORTS
from metaflow_blueprints.props import REQUIRED, param_docs, signature_params

#: Value types whose constructor is not the API: build them with their factories (checked).
FACTORY_BUILT = {"SqsConsumer"}


def _exported() -> list[tuple[str, type]]:
    return [
        (name, getattr(importlib.import_module(module), name))
        for name, module in sorted(_EXPORTS.items())
    ]


def _callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Each exported class (its constructor) and each of its public static/class methods."""
    for name, cls in _exported():
        if name not in FACTORY_BUILT:
            yield name, cls
        for attr, value in vars(cls).items():
            if isinstance(value, (staticmethod, classmethod)) and not attr.startswith("_"):
                yield f"{name}.{attr}", getattr(cls, attr)


CALLABLES = dict(_callables())


def test_the_public_api_includes_every_blueprint() -> None:
    from metaflow_blueprints import blueprints

    names = {
        cls.__name__
        for module in ("s3", "dynamodb", "gcs", "pubsub", "snowflake", "webhook", "dbt_cloud",
                       "fivetran")
        for cls in vars(importlib.import_module(f"{blueprints.__name__}.{module}")).values()
        if isinstance(cls, type) and cls.__name__.endswith("ToMetaflow")
    }
    assert len(names) == 8
    assert names <= set(CALLABLES)


@pytest.mark.parametrize("label", sorted(CALLABLES))
def test_every_prop_has_its_own_param_entry_with_its_default(label: str) -> None:
    owner = CALLABLES[label]
    fn = owner.__init__ if isinstance(owner, type) else owner  # type: ignore[misc]
    docs = param_docs(owner)
    missing, no_default = [], []
    for param in signature_params(fn):
        if param.name == "id":
            continue
        if param.name not in docs:
            missing.append(param.name)
        elif param.default is not REQUIRED and "Default" not in docs[param.name]:
            no_default.append(param.name)
    assert missing == [], f"{label}: no `:param name:` entry for {missing}"
    assert no_default == [], f"{label}: optional props without a 'Default ...' sentence"


@pytest.mark.parametrize("label", sorted(CALLABLES))
def test_no_param_entry_names_several_props(label: str) -> None:
    """``:param a, b:`` cannot be read per prop (module descriptions, this check)."""
    doc = inspect.getdoc(CALLABLES[label]) or ""
    assert re.findall(r":param [^:\n]*[,/][^:\n]*:", doc) == []


# --- attributes ---------------------------------------------------------------------------


def documented_attributes(cls: type) -> set[str] | None:
    """The ````name```` items of the class's "Attributes:" paragraph (parentheses, which
    describe an item, are skipped), or None when it has none."""
    doc = cls.__dict__.get("__doc__") or ""
    found = re.search(r"Attributes:(.*?)(?:\n\s*\n|\Z)", doc, re.S)
    if found is None:
        return None
    text = found.group(1)
    while (inner := re.sub(r"\([^()]*\)", "", text)) != text:
        text = inner
    return set(re.findall(r"``([A-Za-z_]\w*)``", text))


def assigned_attributes(cls: type) -> set[str]:
    """Public ``self.x = ...`` targets and properties of ``cls`` and its library bases."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("metaflow_blueprints."):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        for sub in ast.walk(node):
            targets: list[ast.expr] = []
            if isinstance(sub, ast.Assign):
                targets = list(sub.targets)
            elif isinstance(sub, ast.AnnAssign):
                targets = [sub.target]
            elif isinstance(sub, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "property" for d in sub.decorator_list
            ):
                names.add(sub.name)
            for target in targets:
                for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if (
                        isinstance(item, ast.Attribute)
                        and isinstance(item.value, ast.Name)
                        and item.value.id == "self"
                    ):
                        names.add(item.attr)
    return {name for name in names if not name.startswith("_")}


@pytest.mark.parametrize(("name", "cls"), _exported())
def test_every_public_attribute_is_listed(name: str, cls: type) -> None:
    actual = assigned_attributes(cls)
    if dataclasses.is_dataclass(cls):
        actual -= {f.name for f in dataclasses.fields(cls)}  # documented as :param:
    documented = documented_attributes(cls)
    if not actual:
        return
    assert documented is not None, f"{name} sets {sorted(actual)} but has no Attributes:"
    assert sorted(actual - documented) == [], f"{name}: attributes not listed"
    assert sorted(documented - actual) == [], f"{name}: listed but never set"


def test_the_attribute_reader_sees_what_a_real_construct_sets() -> None:
    """The ``ast`` reading agrees with an instance: build one blueprint, compare."""
    from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
    from metaflow_blueprints.metaflow_events import MetaflowEvents
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "docs")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    hook = WebhookToMetaflow(stack, "hook", metaflow=metaflow, event="data.updated")
    public = {name for name in vars(hook) if not name.startswith("_")}
    assert assigned_attributes(WebhookToMetaflow) == public


@pytest.mark.parametrize(("name", "cls"), _exported())
def test_no_docstring_promises_a_null_payload_value(name: str, cls: type) -> None:
    """The bridge drops null payload values (tests/test_no_nulls.py replays it): a class
    docstring saying a key is ``null`` when absent would be stale."""
    doc = cls.__dict__.get("__doc__") or ""
    stale = [
        line.strip() for line in doc.splitlines()
        if re.search(r"\bnull\b", line) and "left out" not in line and "leaves" not in line
    ]
    assert stale == [], name
