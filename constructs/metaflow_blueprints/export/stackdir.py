"""Reading a synthesized stack: ``STACK_DIR`` (holding ``cdk.tf.json``) or the file itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class StackInputError(ValueError):
    """The stack directory or file is missing or is not Terraform JSON."""


def load_stack(path: Path) -> dict[str, Any]:
    """The Terraform JSON of a synthesized stack (``cdktf.out/stacks/<name>`` or a file)."""
    target = path / "cdk.tf.json" if path.is_dir() else path
    if not target.is_file():
        raise StackInputError(
            f"{path}: no cdk.tf.json here; pass a synthesized stack directory such as "
            "cdktf.out/stacks/webhook (run `make synth` first)."
        )
    try:
        doc = json.loads(target.read_text())
    except json.JSONDecodeError as err:
        raise StackInputError(f"{target}: not JSON ({err}); export needs the JSON synth.") from None
    if not isinstance(doc, dict):
        raise StackInputError(f"{target}: not a Terraform JSON document.")
    problem = shape_problem(doc)
    if problem:
        raise StackInputError(f"{target}: not a Terraform JSON document ({problem}).")
    return doc


def shape_problem(doc: dict[str, Any]) -> str | None:
    """What makes ``doc`` unreadable as cdktf's Terraform JSON, or None."""
    for section in ("resource", "data", "output", "variable", "provider", "terraform"):
        if section in doc and not isinstance(doc[section], dict):
            return f"{section!r} must be an object"
    for type_, items in (doc.get("resource") or {}).items():
        if not isinstance(items, dict):
            return f"resource.{type_} must be an object of resources"
        for name, body in items.items():
            where = f"resource.{type_}.{name}"
            if not isinstance(body, dict):
                return f"{where} must be an object"
            if type_ == "kubernetes_manifest" and not isinstance(body.get("manifest"), dict):
                return f"{where}.manifest must be an object"
            meta = body.get("metadata", {})
            entries = meta if isinstance(meta, list) else [meta]
            if not all(isinstance(entry, dict) for entry in entries):
                return f"{where}.metadata must be an object"
    return None


def resources(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(type, logical id, body)`` of every resource, in document order."""
    for type_, items in (doc.get("resource") or {}).items():
        for name, body in items.items():
            yield type_, name, body


def construct_path(body: dict[str, Any]) -> list[str]:
    """The construct path cdktf recorded for a resource (``stack/blueprint/...``)."""
    path = body.get("//", {}).get("metadata", {}).get("path", "")
    return [part for part in str(path).split("/") if part]
