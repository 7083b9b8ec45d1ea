"""Every reference stack: synthesizes offline, strict-schema-valid manifests, checkov clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.tools.schema import argo_manifests
from stacks.__main__ import STACKS
from tests.helpers import checkov_failures


@pytest.fixture(scope="module")
def synthesized(reference_app_json: Path) -> dict[str, dict[str, Any]]:
    outdir = reference_app_json
    return {
        name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text()) for name in STACKS
    }


@pytest.mark.parametrize("name", sorted(STACKS))
def test_stack_has_argo_objects_and_they_are_strictly_valid(
    name: str, synthesized: dict[str, dict[str, Any]], strict_validator: Any
) -> None:
    found = list(argo_manifests(synthesized[name]))
    kinds = {manifest["kind"] for _, manifest in found}
    # platform: the EventBus and Metaflow's webhook (applied by its local Helm chart).
    expected = {"EventBus", "EventSource"} if name == "platform" else {"EventSource", "Sensor"}
    assert expected <= kinds
    for address, manifest in found:
        assert strict_validator.errors(manifest) == [], address


@pytest.mark.parametrize("name", sorted(STACKS))
def test_stack_is_checkov_clean(
    name: str, synthesized: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    assert checkov_failures(synthesized[name], tmp_path) == []


@pytest.mark.parametrize("name", sorted(STACKS))
def test_no_provider_credentials_or_secrets_in_plain_outputs(
    name: str, synthesized: dict[str, dict[str, Any]]
) -> None:
    for output_id, output in synthesized[name].get("output", {}).items():
        text = json.dumps(output["value"])
        if any(marker in text for marker in ("random_password", "random_id", "token")):
            assert output.get("sensitive") is True, output_id
