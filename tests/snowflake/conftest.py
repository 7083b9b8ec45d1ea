"""Fixtures of the Snowflake blueprint tests: the reference stack synthesized once."""

from __future__ import annotations

from typing import Any

import pytest

from metaflow_blueprints.runtime import App, synth_stack
from stacks import settings as settings_module


@pytest.fixture(scope="session")
def snowflake_stack() -> dict[str, Any]:
    """The reference ``snowflake`` stack's Terraform JSON."""
    from stacks.snowflake import SnowflakeStack

    return synth_stack(SnowflakeStack(App(), "snowflake", settings_module.load()))
