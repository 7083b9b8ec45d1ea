"""Turn python-hcl2's parse of an HCL file back into Terraform JSON form, for comparison.

python-hcl2 quirks handled here: every body attribute is wrapped in a one-element list,
blocks are lists of bodies, labeled blocks are ``{label: body}`` list items, strings come
back with their HCL escapes undecoded (interpolations verbatim), bare expressions come back
as ``"${expr}"``, and blocks carry ``__start_line__``/``__end_line__``.
"""

from __future__ import annotations

import re
from typing import Any

import hcl2

from metaflow_blueprints.export.hcl import BlockPath, BlockSchema, _expression_end

_META = {"__start_line__", "__end_line__"}
_ESC = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_RESOURCE_META_BLOCKS = {("lifecycle",), ("provisioner",), ("connection",), ("dynamic",)}
#: Custom conditions are blocks inside a resource's lifecycle block (Terraform's grammar).
_LIFECYCLE_BLOCKS = {("lifecycle", "precondition"), ("lifecycle", "postcondition")}


def unescape(raw: str) -> str:
    """Decode HCL string escapes in the literal parts of a template (not in ``${...}``)."""
    out, i = [], 0
    while i < len(raw):
        if raw.startswith(("$${", "%%{"), i):
            out.append(raw[i : i + 3])
            i += 3
        elif raw.startswith(("${", "%{"), i):
            end = _expression_end(raw, i + 2)
            out.append(raw[i:end])
            i = end
        elif raw[i] == "\\":
            nxt = raw[i + 1]
            if nxt == "u":
                out.append(chr(int(raw[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESC[nxt])
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _value(value: Any) -> Any:
    if isinstance(value, str):
        # python-hcl2 returns some templates with nested quotes as `${"<template>"}`.
        wrapped = re.fullmatch(r'\$\{"(.*)"\}', value, re.S)
        if wrapped and _expression_end(value, 2) == len(value):
            value = wrapped.group(1)
        return unescape(value)
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def _bare(value: str) -> str:
    match = re.fullmatch(r"\$\{(.*)\}", value, re.S)
    assert match, f"expected a bare expression, got {value!r}"
    return match.group(1)


def _body(
    body: dict[str, Any], blocks: set[BlockPath], prefix: BlockPath = (), *, variable: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in _META:
            continue
        path = (*prefix, key)
        if (
            path in blocks
            or (not prefix and path in _RESOURCE_META_BLOCKS)
            or path in _LIFECYCLE_BLOCKS
        ):
            out[key] = [_body(item, blocks, path) for item in value]
            continue
        assert isinstance(value, list) and len(value) == 1, f"{path}: {value!r}"
        item = value[0]
        if key in ("depends_on", "ignore_changes") or (key == "type" and variable):
            out[key] = [_bare(ref) for ref in item] if isinstance(item, list) else _bare(item)
        else:
            out[key] = _value(item)
    return out


def parse(text: str, schema: BlockSchema) -> dict[str, Any]:
    """Parse HCL and return it in Terraform JSON form (blocks always as lists)."""
    parsed = hcl2.loads(text)
    doc: dict[str, Any] = {}
    for section, items in parsed.items():
        if section == "terraform":
            (body,) = items
            tf: dict[str, Any] = {}
            for key, value in body.items():
                if key == "required_providers":
                    (providers,) = value
                    tf[key] = {k: _value(v[0]) for k, v in providers.items() if k not in _META}
                elif key == "backend":
                    tf[key] = {k: _body(v, set()) for item in value for k, v in item.items()}
                elif key not in _META:
                    tf[key] = _value(value[0])
            doc[section] = tf
        elif section in ("variable", "output", "module"):
            blocks = {("validation",)} if section == "variable" else set()
            doc[section] = {
                name: _body(body, blocks, variable=section == "variable")
                for item in items
                for name, body in item.items()
            }
        elif section == "provider":
            providers: dict[str, list[Any]] = {}
            for item in items:
                for name, body in item.items():
                    blocks = schema.get(f"provider.{name}", set())
                    providers.setdefault(name, []).append(_body(body, blocks))
            doc[section] = providers
        elif section in ("resource", "data"):
            out: dict[str, Any] = {}
            for item in items:
                for type_, named in item.items():
                    for name, body in named.items():
                        blocks = schema.get(type_, set())
                        out.setdefault(type_, {})[name] = _body(body, blocks)
            doc[section] = out
        else:
            raise AssertionError(f"unexpected HCL section {section!r}")
    return doc


def json_form(doc: dict[str, Any], schema: BlockSchema) -> dict[str, Any]:
    """The Terraform JSON document with comments dropped and blocks always as lists."""

    def body(value: dict[str, Any], blocks: set[BlockPath], prefix: BlockPath = ()) -> Any:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "//":
                continue
            path = (*prefix, key)
            if (
                path in blocks
                or (not prefix and path in _RESOURCE_META_BLOCKS)
                or path in _LIFECYCLE_BLOCKS
            ):
                items = item if isinstance(item, list) else [item]
                out[key] = [body(i, blocks, path) for i in items]
            elif key in ("depends_on", "ignore_changes"):
                out[key] = [re.sub(r"^\$\{(.*)\}$", r"\1", str(ref)) for ref in item]
            else:
                out[key] = item
        return out

    out: dict[str, Any] = {}
    for section, content in doc.items():
        if section == "//":
            continue
        if section == "terraform":
            out[section] = {k: v for k, v in content.items()}
        elif section in ("variable", "output", "module"):
            blocks = {("validation",)} if section == "variable" else set()
            out[section] = {n: body(b, blocks) for n, b in content.items()}
        elif section == "provider":
            out[section] = {
                n: [body(b, schema.get(f"provider.{n}", set())) for b in _as_list(bs)]
                for n, bs in content.items()
            }
        elif section in ("resource", "data"):
            out[section] = {
                t: {n: body(b, schema.get(t, set())) for n, b in named.items()}
                for t, named in content.items()
            }
        else:
            out[section] = content
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonical_expressions(value: Any) -> Any:
    """``value`` with every interpolation-only string ``"${expr}"`` in a canonical form.

    The renderer writes such attribute values as bare expressions (as ``terraform fmt``
    does; same meaning). python-hcl2 8.1 gives a bare expression back re-printed, not as
    written: spaces after commas and redundant parentheses dropped, ``null``/``true`` as
    ``None``/``True``, string literals in a tuple as Python reprs (``['/health']``).
    Both sides of a comparison go through this, so those print differences (and only
    those) are ignored; string literals inside the expression are kept verbatim.
    """
    if isinstance(value, dict):
        return {k: canonical_expressions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical_expressions(v) for v in value]
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        try:
            whole = _expression_end(value, 2) == len(value)
        except ValueError:
            return value
        if whole:
            return "${" + _canonical(value[2:-1]) + "}"
    return value


def _canonical(expr: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(expr):
        char = expr[i]
        if char == '"':
            end = i + 1
            while end < len(expr) and expr[end] != '"':
                end += 2 if expr[end] == "\\" else 1
            out.append(expr[i : end + 1])
            i = end + 1
            continue
        if char == "'":  # python-hcl2's repr of a string literal
            end = expr.index("'", i + 1)
            out.append('"' + expr[i + 1 : end] + '"')
            i = end + 1
            continue
        if not char.isspace() and char not in "()":
            out.append(char)
        i += 1
    text = "".join(out)
    for python, hcl in (("None", "null"), ("True", "true"), ("False", "false")):
        text = re.sub(rf"(?<![\w.]){python}(?![\w])", hcl, text)
    return text
