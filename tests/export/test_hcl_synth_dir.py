"""A HCL synth dir (``MFB_HCL=1``): what the cdktf CLI reads, and graph/manifests/replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from metaflow_blueprints.cli import app as cli
from metaflow_blueprints.export import stackdir
from metaflow_blueprints.replay import stack as replay_stack
from tests.helpers import REPO

runner = CliRunner()


@pytest.fixture(scope="module")
def synth_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The webhook reference stack synthesized as JSON and as HCL (separate Apps)."""
    from metaflow_blueprints.runtime import App
    from metaflow_blueprints.synth import synth_app
    from stacks import settings as settings_module
    from stacks.webhook import WebhookStack

    out = {}
    for fmt in ("json", "hcl"):
        outdir = tmp_path_factory.mktemp(fmt)
        app = App(outdir=str(outdir), hcl_output=fmt == "hcl")
        WebhookStack(app, "webhook", settings_module.load())
        synth_app(app, hcl_output=fmt == "hcl")
        out[fmt] = outdir
    return out


def test_manifest_points_the_cdktf_cli_at_files_it_can_read(synth_dirs: dict[str, Path]) -> None:
    """cdktf-cli 0.21 (``SynthStack.readSynthesizedStacks``) JSON-parses ``synthesizedStackPath``
    when it ends in ``.tf.json``, else ``stackMetadataPath``, then reads ``["//"].metadata``
    and ``terraform.required_providers`` from it (telemetry). The CLI is not installed here,
    so this checks that contract on our output."""
    outdir = synth_dirs["hcl"]
    manifest = json.loads((outdir / "manifest.json").read_text())
    (entry,) = manifest["stacks"].values()
    assert entry["synthesizedStackPath"] == "stacks/webhook/cdk.tf"
    text = (outdir / entry["synthesizedStackPath"]).read_text()
    assert 'resource "kubernetes_manifest"' in text and not text.lstrip().startswith("{")
    metadata = json.loads((outdir / entry["stackMetadataPath"]).read_text())
    assert metadata["//"]["metadata"]
    assert metadata["terraform"]["required_providers"]
    assert sorted(p.name for p in (outdir / entry["workingDirectory"]).iterdir()) == [
        "cdk.tf",
        "metadata.json",
    ]


def test_metadata_json_is_the_json_synth(synth_dirs: dict[str, Path]) -> None:
    hcl_doc = stackdir.load_stack(synth_dirs["hcl"] / "stacks" / "webhook")
    json_doc = stackdir.load_stack(synth_dirs["json"] / "stacks" / "webhook")
    strip = {"//"}
    assert {k: v for k, v in hcl_doc.items() if k not in strip} == {
        k: v for k, v in json_doc.items() if k not in strip
    }


@pytest.mark.parametrize("command", ["graph", "manifests"])
def test_graph_and_manifests_read_a_hcl_stack_dir(
    command: str, synth_dirs: dict[str, Path], tmp_path: Path
) -> None:
    outputs: list[Any] = []
    for fmt in ("json", "hcl"):
        target = str(synth_dirs[fmt] / "stacks" / "webhook")
        args = [command, target] + (
            ["--out", str(tmp_path / fmt), "--allow-unresolved"] if command == "manifests" else []
        )
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        if command == "graph":
            outputs.append(result.stdout)
        else:
            outputs.append({p.name: p.read_text() for p in sorted((tmp_path / fmt).iterdir())})
    assert outputs[0] == outputs[1] and outputs[0]


def test_replay_reads_a_hcl_stack_dir(synth_dirs: dict[str, Path]) -> None:
    hcl = replay_stack.load(synth_dirs["hcl"] / "stacks" / "webhook")
    assert replay_stack.manifests(hcl, "Sensor")
    assert (
        hcl["resource"] == replay_stack.load(synth_dirs["json"] / "stacks" / "webhook")["resource"]
    )


def test_a_dir_without_a_stack_still_says_run_make_synth(tmp_path: Path) -> None:
    (tmp_path / "cdk.tf").write_text("# hand-written, no metadata.json\n")
    result = runner.invoke(cli, ["graph", str(tmp_path)])
    assert result.exit_code == 2
    assert "make synth" in result.output
    assert REPO.exists()


@pytest.mark.parametrize(
    ("env", "hcl"),
    [
        ({}, False),
        ({"MFB_HCL": "1"}, True),
        ({"MFB_HCL": "0"}, False),
        ({"CDKTF_HCL_OUTPUT": "true"}, True),  # `cdktf synth --hcl`
        ({"CDKTF_HCL_OUTPUT": "false"}, False),
    ],
)
def test_the_reference_app_writes_hcl_when_asked(env: dict[str, str], hcl: bool) -> None:
    from stacks.__main__ import hcl_requested

    assert hcl_requested(env) is hcl
