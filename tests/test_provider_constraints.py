"""``runtime.PROVIDER_SOURCES`` agrees with the installed binding packages, everywhere.

The truth comes from each binding package's own jsii assembly (its README names the
provider version the bindings were generated from), not from a list kept here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.runtime import PROVIDER_SOURCES, PROVIDERS
from stacks.__main__ import STACKS


def generated_from(package: str) -> tuple[str, str]:
    """``(registry source, version)`` the binding package says it was generated from."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    (tgz,) = Path(next(iter(spec.submodule_search_locations)), "_jsii").glob("*.jsii.tgz")
    with tarfile.open(tgz) as archive:
        member = archive.extractfile("package/.jsii")
        assert member is not None
        assembly = json.load(member)
    readme = assembly["readme"]["markdown"]
    match = re.search(
        r"prebuilt bindings for ([\w-]+/[\w-]+) provider version (\d+\.\d+\.\d+)", readme
    )
    assert match, f"{package}: no provider version in its assembly README"
    return match.group(1), match.group(2)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_constraint_is_the_binding_version_up_to_the_next_major(name: str) -> None:
    source, version = generated_from(PROVIDERS[name])
    major, minor, _ = version.split(".")
    assert PROVIDER_SOURCES[name] == (source, f"~> {major}.{minor}")


def test_every_provider_has_a_constraint() -> None:
    assert set(PROVIDER_SOURCES) == set(PROVIDERS)


def test_stacks_and_modules_declare_the_same_constraints(
    reference_app_json: Path, modules: dict[str, Any]
) -> None:
    declared: list[tuple[str, dict[str, Any]]] = []
    for name in STACKS:
        doc = json.loads((reference_app_json / "stacks" / name / "cdk.tf.json").read_text())
        declared.append((f"stack {name}", doc["terraform"]["required_providers"]))
    declared += [
        (f"module {n}", m.doc["terraform"]["required_providers"]) for n, m in modules.items()
    ]
    for where, required in declared:
        for provider, body in required.items():
            source, version = PROVIDER_SOURCES[provider]
            assert body == {"source": source, "version": version}, where
