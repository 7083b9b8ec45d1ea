"""Shared fixtures. ``tests.helpers`` holds the plain functions."""

from __future__ import annotations

import json
from pathlib import Path
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
def reference_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``cdktf.out`` directory with every reference stack synthesized (built once)."""
    from metaflow_blueprints.synth import synth_app
    from stacks.__main__ import build

    outdir = tmp_path_factory.mktemp("reference.out")
    synth_app(build(str(outdir)))
    return outdir


@pytest.fixture(scope="session")
def reference_stacks(reference_out: Path) -> dict[str, dict[str, Any]]:
    """Every reference stack's synthesized Terraform JSON, by stack name."""
    from stacks.__main__ import STACKS

    return {
        name: json.loads((reference_out / "stacks" / name / "cdk.tf.json").read_text())
        for name in STACKS
    }


@pytest.fixture(scope="session")
def reference_app_json(reference_out: Path) -> Path:
    """The reference app synthesized once as JSON (the same directory as ``reference_out``)."""
    return reference_out


@pytest.fixture(scope="session")
def aws_stack() -> dict[str, Any]:
    """The reference ``aws`` stack's Terraform JSON."""
    from metaflow_blueprints.runtime import App, synth_stack
    from stacks import settings as settings_module
    from stacks.aws import AwsStack

    return synth_stack(AwsStack(App(), "aws", settings_module.load()))


@pytest.fixture(scope="session")
def snowflake_stack() -> dict[str, Any]:
    """The reference ``snowflake`` stack's Terraform JSON."""
    from metaflow_blueprints.runtime import App, synth_stack
    from stacks import settings as settings_module
    from stacks.snowflake import SnowflakeStack

    return synth_stack(SnowflakeStack(App(), "snowflake", settings_module.load()))


@pytest.fixture(scope="session")
def modules() -> dict[str, Any]:
    """Blueprint name -> generated Module, for every registered blueprint."""
    from metaflow_blueprints.export import module, registry

    return {name: module.build(registry.get(name)) for name in registry.names()}
