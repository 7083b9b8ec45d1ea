"""Shared fixtures. ``tests.helpers`` holds the plain functions."""

from __future__ import annotations

import pytest

from metaflow_blueprints.tools.schema import StrictArgoValidator
from tests.helpers import SCHEMA_DIR, require_shared


@pytest.fixture(scope="session")
def strict_validator() -> StrictArgoValidator:
    """The upstream Argo Events schema with the strict overlay (skips without ../shared)."""
    require_shared()
    return StrictArgoValidator(SCHEMA_DIR)
