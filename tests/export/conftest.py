"""Fixtures for the export tests: reference stacks and modules, each built once per session."""

from __future__ import annotations

import os
from typing import Any

import pytest

from metaflow_blueprints.export import hcl


@pytest.fixture(scope="session")
def reference_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Any]]:
    """Stack name -> (Terraform JSON, HCL block schema) of every reference stack."""
    from metaflow_blueprints.runtime import TerraformStack, synth_stack
    from stacks.__main__ import STACKS, build

    os.environ.pop("MFB_SETTINGS", None)
    app = build(str(tmp_path_factory.mktemp("cdktf")))
    out = {}
    for child in app.node.children:
        if TerraformStack.is_stack(child):
            out[child.node.id] = (synth_stack(child), hcl.block_paths(child))
    assert sorted(out) == sorted(STACKS)
    return out
