"""Shared fixtures. ``tests.helpers`` holds the plain functions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from metaflow_blueprints.tools.schema import StrictArgoValidator
from tests.helpers import SCHEMA_DIR, require_shared


@pytest.fixture(scope="session")
def strict_validator() -> StrictArgoValidator:
    """The upstream Argo Events schema with the strict overlay (skips without ../shared)."""
    require_shared()
    return StrictArgoValidator(SCHEMA_DIR)


@pytest.fixture(scope="session")
def reference_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every reference stack's synthesized Terraform JSON, by stack name (built once)."""
    from metaflow_blueprints.synth import synth_app
    from stacks.__main__ import STACKS, build

    outdir = tmp_path_factory.mktemp("reference.out")
    synth_app(build(str(outdir)))
    return {
        name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text()) for name in STACKS
    }
