"""Shared fixtures. ``tests.helpers`` holds the plain functions."""

from __future__ import annotations

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
def reference_app_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference app (every stack of ``stacks/__main__.py``) synthesized once as JSON."""
    from metaflow_blueprints.synth import synth_app
    from stacks.__main__ import build

    outdir = tmp_path_factory.mktemp("cdktf.out")
    synth_app(build(str(outdir)))
    return outdir


@pytest.fixture(scope="session")
def modules() -> dict[str, Any]:
    """Blueprint name -> generated Module, for every registered blueprint."""
    from metaflow_blueprints.export import module, registry

    return {name: module.build(registry.get(name)) for name in registry.names()}
