"""Terraform tokens in dbt Cloud / Fivetran id and status lists become real filters.

Terraform itself evaluates the rendered filter values (no providers needed): the regex it
produces matches exactly the variable's value, and a value the construct would refuse
fails the plan instead of yielding a filter that never matches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import TerraformVariable
from tests.helpers import manifests, synth


def _build(stack: Any) -> None:
    def var(name: str) -> str:
        return str(TerraformVariable(stack, name, type="string").string_value)

    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    DbtCloudToMetaflow(stack, "dbt", metaflow=metaflow, event="dbt.done", account_id="43786",
                       job_ids=[var("job"), "7"], statuses=[var("dbt_status")])
    FivetranToMetaflow(stack, "ft", metaflow=metaflow, event="ft.done",
                       connector_ids=[var("connector")], statuses=[var("ft_status")])


def _filter_values(terraform: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for sensor in manifests(terraform, "Sensor"):
        for dep in sensor["spec"]["dependencies"]:
            for data in (dep.get("filters") or {}).get("data", []):
                for value in data["value"]:
                    if "${" in value:
                        out[f"{sensor['metadata']['name']}:{data['path']}"] = value
    return out


def _terraform_outputs(tmp: Path, values: dict[str, str], variables: dict[str, str]) -> Any:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform CLI not on PATH")
    config = {
        "variable": {k: {"type": "string", "default": v} for k, v in variables.items()},
        "output": {f"o{i}": {"value": v} for i, v in enumerate(values.values())},
    }
    (tmp / "main.tf.json").write_text(json.dumps(config))
    (tmp / "cli.tfrc").write_text(
        'provider_installation {\n  direct { exclude = ["*/*"] }\n}\n'
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp / "cli.tfrc"), "TF_IN_AUTOMATION": "1"}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        run = subprocess.run([terraform, *args], cwd=tmp, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        if run.returncode != 0:
            return run.stderr
    run = subprocess.run([terraform, "output", "-json"], cwd=tmp, env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return [o["value"] for o in json.loads(run.stdout).values()]


def test_token_filters_match_exactly_the_value_terraform_fills_in(tmp_path: Path) -> None:
    terraform = synth(_build)
    text = json.dumps(terraform["resource"]["kubernetes_manifest"])
    assert "TfToken" not in text
    values = _filter_values(terraform)
    assert len(values) == 4, values
    good = {"job": "302418", "dbt_status": "Errored", "connector": "my.conn_1",
            "ft_status": "RESCHEDULED"}
    rendered = _terraform_outputs(tmp_path, values, good)
    assert isinstance(rendered, list), rendered
    by_key = dict(zip(values, rendered, strict=True))
    checks = {
        "job_id": ("302418", "3024180"), "runStatus": ("Errored", "Success"),
        "connector_id": ("my.conn_1", "myXconn_1"), "data.status": ("RESCHEDULED", "SUCCESSFUL"),
    }
    for key, regex in by_key.items():
        (hit, miss) = next(v for k, v in checks.items() if k in key)
        assert re.search(regex, hit), (key, regex)
        assert not re.search(regex, miss), (key, regex)
    assert re.search(next(r for k, r in by_key.items() if "job_id" in k), "7")


def test_a_value_the_construct_would_refuse_fails_the_plan(tmp_path: Path) -> None:
    terraform = synth(_build)
    values = _filter_values(terraform)
    bad = {"job": "30x", "dbt_status": "Errored", "connector": "ok", "ft_status": "OK"}
    result = _terraform_outputs(tmp_path, values, bad)
    assert isinstance(result, str) and "regex" in result.lower(), result
