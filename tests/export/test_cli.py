"""The metaflow-blueprints CLI: commands, --help, exit codes, errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from metaflow_blueprints.cli import EXIT_BAD_INPUT, app

runner = CliRunner()


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from metaflow_blueprints.runtime import synth_stack
    from stacks.__main__ import build

    app_ = build(str(tmp_path_factory.mktemp("cdk")))
    stack = next(c for c in app_.node.children if c.node.id == "webhook")
    out = tmp_path_factory.mktemp("stacks") / "webhook"
    out.mkdir()
    (out / "cdk.tf.json").write_text(json.dumps(synth_stack(stack)))
    return out


@pytest.mark.parametrize("args", [[], ["module"], ["modules"], ["manifests"], ["graph"]])
def test_help_everywhere(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_module_command_writes_hcl_module(tmp_path: Path) -> None:
    result = runner.invoke(app, ["module", "webhook", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "main.tf").read_text()
    assert 'variable "name" {' in text and "provider " not in text and "backend" not in text


def test_modules_command_writes_one_dir_per_blueprint(tmp_path: Path) -> None:
    from metaflow_blueprints.export import registry

    result = runner.invoke(app, ["modules", "--out", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == registry.names()
    assert all((tmp_path / n / "README.md").exists() for n in registry.names())
    listed = runner.invoke(app, ["modules", "--list"])
    assert listed.stdout.split() == registry.names()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["module", "nope", "--out", "x"], "unknown blueprint 'nope'"),
        (["module", "webhook", "--out", "x", "--format", "yaml"], "--format must be"),
        (["manifests", "does/not/exist", "--out", "x"], "no cdk.tf.json"),
        (["graph", "does/not/exist"], "no cdk.tf.json"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_manifests_unresolved_then_set(stack_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["manifests", str(stack_dir), "--out", str(tmp_path / "a")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "stringData.token" in result.stderr and "--set" in result.stderr
    ok = runner.invoke(
        app, ["manifests", str(stack_dir), "--out", str(tmp_path / "b"), "--allow-unresolved"]
    )
    assert ok.exit_code == 0 and "warning: unresolved" in ok.stderr
    kinds = sorted(
        yaml.safe_load(p.read_text())["kind"] for p in (tmp_path / "b").glob("*.yaml")
    )
    assert kinds == ["EventSource", "Role", "RoleBinding", "Secret", "Sensor", "ServiceAccount"]


def test_graph_command(stack_dir: Path) -> None:
    flows = Path(__file__).resolve().parents[2] / "examples" / "flows"
    result = runner.invoke(app, ["graph", str(stack_dir), "--flows", str(flows)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("flowchart LR") and "DataUpdatedFlow" in result.stdout
    bad = runner.invoke(app, ["graph", str(stack_dir), "--flows", str(stack_dir / "nope")])
    assert bad.exit_code == EXIT_BAD_INPUT and "not a directory" in bad.stderr


def test_debug_shows_the_traceback() -> None:
    result = runner.invoke(app, ["--debug", "module", "nope", "--out", "x"])
    assert result.exit_code != 0
    assert isinstance(result.exception, KeyError)


def test_main_is_the_console_script() -> None:
    from metaflow_blueprints import cli

    with pytest.raises(SystemExit) as info:
        import sys

        argv: Any = sys.argv
        sys.argv = ["metaflow-blueprints", "--help"]
        try:
            cli.main()
        finally:
            sys.argv = argv
    assert info.value.code == 0
