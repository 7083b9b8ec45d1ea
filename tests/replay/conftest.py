"""pytest fixtures for replay tests (builders live in replay_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from replay_fixtures import make_load_yaml, make_sqs_stack, make_webhook_stack


@pytest.fixture
def webhook_stack() -> dict[str, Any]:
    return make_webhook_stack()


@pytest.fixture
def sqs_stack() -> dict[str, Any]:
    return make_sqs_stack()


@pytest.fixture
def load_yaml() -> Callable[[Path], list[dict[str, Any]]]:
    return make_load_yaml()
