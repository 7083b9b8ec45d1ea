"""Reading a synthesized stack: ``STACK_DIR`` (``cdk.tf.json``, or HCL ``cdk.tf`` with its
``metadata.json``) or a Terraform JSON file itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class StackInputError(ValueError):
    """The stack directory or file is missing or is not Terraform JSON."""


def stack_json(path: Path) -> Path:
    """The Terraform JSON file of a stack directory or file.

    A JSON synth dir holds ``cdk.tf.json``; a HCL synth dir (``MFB_HCL=1``) holds ``cdk.tf``
    and ``metadata.json``, the JSON it was rendered from (see ``synth.synth_app``).
    """
    if not path.is_dir():
        if path.name == "cdk.tf" and (path.parent / "metadata.json").is_file():
            return path.parent / "metadata.json"
        return path
    if (path / "cdk.tf.json").is_file() or not (path / "cdk.tf").is_file():
        return path / "cdk.tf.json"
    return path / "metadata.json"


def load_stack(path: Path) -> dict[str, Any]:
    """The Terraform JSON of a synthesized stack (``cdktf.out/stacks/<name>`` or a file)."""
    target = stack_json(path)
    if not target.is_file():
        raise StackInputError(
            f"{path}: no cdk.tf.json (or cdk.tf with metadata.json) here; pass a synthesized "
            "stack directory such as cdktf.out/stacks/webhook (run `make synth` first)."
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
