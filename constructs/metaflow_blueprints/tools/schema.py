"""Strict validation of Argo Events manifests against the upstream JSON schema.

The upstream ``api/jsonschema/schema.json`` accepts unknown keys everywhere; the strict
overlay (``strict-overlay.json`` beside it) adds ``additionalProperties: false`` to every
Argo definition and relaxes ``required`` entries the controller does not enforce.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

KINDS = ("EventSource", "Sensor", "EventBus")


@lru_cache(maxsize=4)
def _strict_definitions(schema_dir: str) -> dict[str, Any]:
    directory = Path(schema_dir)
    schema = json.loads((directory / "schema.json").read_text())
    overlay = json.loads((directory / "strict-overlay.json").read_text())
    definitions = copy.deepcopy(schema["definitions"])
    closing = overlay["addAdditionalPropertiesFalse"]
    for name, definition in definitions.items():
        if (
            name.startswith(closing["prefix"])
            and name not in closing["keepOpen"]
            and definition.get("type") == "object"
            and "properties" in definition
        ):
            definition["additionalProperties"] = False
    for name, rule in overlay["relaxRequired"].items():
        required = definitions[name].get("required", [])
        definitions[name]["required"] = [r for r in required if r not in rule["remove"]]
    return {"definitions": definitions, "refs": overlay["validateAgainst"]}


class StrictArgoValidator:
    """Validate EventSource/Sensor/EventBus manifests (Draft 7, strict overlay applied)."""

    def __init__(self, schema_dir: str | Path) -> None:
        loaded = _strict_definitions(str(Path(schema_dir).resolve()))
        self._validators = {
            kind: jsonschema.Draft7Validator(
                {"$ref": loaded["refs"][kind], "definitions": loaded["definitions"]}
            )
            for kind in KINDS
        }

    def errors(self, manifest: Mapping[str, Any]) -> list[str]:
        """Readable error messages (empty when the manifest is valid)."""
        kind = manifest.get("kind")
        if kind not in self._validators:
            return [f"kind {kind!r} is not one of {KINDS}"]
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in sorted(
                self._validators[str(kind)].iter_errors(dict(manifest)), key=lambda e: list(e.path)
            )
        ]


def argo_manifests(terraform: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(resource address, manifest)`` for every Argo object in synthesized JSON.

    Covers ``kubernetes_manifest`` resources and the objects the platform's local Helm
    chart applies (a ``helm_release`` whose values hold ``{"objects": [...]}``).
    """
    for logical_id, resource in (
        terraform.get("resource", {}).get("kubernetes_manifest", {}).items()
    ):
        manifest = resource.get("manifest", {})
        if str(manifest.get("apiVersion", "")).startswith("argoproj.io/"):
            yield f"kubernetes_manifest.{logical_id}", manifest
    for logical_id, resource in terraform.get("resource", {}).get("helm_release", {}).items():
        for index, text in enumerate(resource.get("values") or []):
            try:
                values = json.loads(text)
            except (TypeError, ValueError):
                continue  # not JSON (e.g. an unresolved expression): nothing of ours
            objects = values.get("objects") if isinstance(values, dict) else None
            for position, manifest in enumerate(objects or []):
                if str(manifest.get("apiVersion", "")).startswith("argoproj.io/"):
                    yield f"helm_release.{logical_id}.values[{index}].objects[{position}]", manifest


def validate_all(
    validator: StrictArgoValidator, manifests: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[str, list[str]]:
    """Map each invalid manifest's address to its errors."""
    problems: dict[str, list[str]] = {}
    for address, manifest in manifests:
        errors = validator.errors(manifest)
        if errors:
            problems[address] = errors
    return problems
