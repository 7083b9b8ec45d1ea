"""The typer command: stdout lines, stderr messages and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from replay_fixtures import BRIDGE_JQ, bridge_sensor, webhook_eventsource
from typer.testing import CliRunner

from metaflow_blueprints.replay.cli import replay_command
from metaflow_blueprints.replay.testing import stack_from_manifests

app = typer.Typer()
app.command("replay")(replay_command)
app.command("noop")(lambda: None)  # two commands, so "replay" is a sub-command

PUSH = {"ref": "refs/heads/main", "after": "a1", "commits": [],
        "repository": {"full_name": "A/B"}}


@pytest.fixture
def stack_dir(tmp_path: Path) -> Path:
    stack = stack_from_manifests([
        webhook_eventsource(),
        bridge_sensor("s", "github-push", "push", BRIDGE_JQ, {"data": [
            {"path": "body.ref", "type": "string", "value": ["^refs/heads/main$"]}]}),
    ])
    out = tmp_path / "stacks" / "webhook"
    out.mkdir(parents=True)
    (out / "cdk.tf.json").write_text(json.dumps(stack))
    return out


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["replay", *args])


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_fired_trigger_is_one_json_line(stack_dir: Path, tmp_path: Path) -> None:
    ev = write(tmp_path, "push.json", json.dumps(PUSH))
    res = run(str(stack_dir), "--event", ev, "--header", "Authorization: Bearer t",
              "--now", "2026-01-01T00:00:00Z")
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1
    fired = json.loads(lines[0])
    assert fired["metaflow_event"]["payload"]["timestamp"] == 1767225600
    assert fired["metaflow_event"]["payload"]["branch"] == "main"


def test_nothing_fires_is_silent_exit_0(stack_dir: Path, tmp_path: Path) -> None:
    ev = write(tmp_path, "push.json", json.dumps({**PUSH, "ref": "refs/heads/dev"}))
    res = run(str(stack_dir / "cdk.tf.json"), "--event", ev, "--header", "Authorization: Bearer t")
    assert res.exit_code == 0 and res.stdout == ""


def test_explain_goes_to_stderr(stack_dir: Path, tmp_path: Path) -> None:
    ev = write(tmp_path, "push.json", json.dumps(PUSH))
    res = run(str(stack_dir), "--event", ev, "--explain")
    assert res.exit_code == 0 and res.stdout == ""
    assert "401" in res.stderr and "not published" in res.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "nope/x"], "unknown source 'nope/x'"),
    (["--header", "no-colon"], "is not 'Name: value'"),
    (["--now", "yesterday"], "is not ISO 8601"),
])
def test_bad_input_exit_2(stack_dir: Path, tmp_path: Path, args: list[str], message: str) -> None:
    ev = write(tmp_path, "push.json", json.dumps(PUSH))
    res = run(str(stack_dir), "--event", ev, *args)
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr


def test_missing_and_malformed_event_files(stack_dir: Path, tmp_path: Path) -> None:
    res = run(str(stack_dir), "--event", str(tmp_path / "missing.json"))
    assert res.exit_code == 2 and "cannot read event file" in res.stderr
    bad = write(tmp_path, "bad.json", "{not json")
    res = run(str(stack_dir), "--event", bad, "--header", "Authorization: Bearer t")
    assert res.exit_code == 2 and "not valid JSON" in res.stderr


def test_missing_stack_and_unsupported_construct(tmp_path: Path) -> None:
    ev = write(tmp_path, "push.json", json.dumps(PUSH))
    res = run(str(tmp_path / "nowhere"), "--event", ev)
    assert res.exit_code == 2 and "no synthesized stack" in res.stderr
    sensor = bridge_sensor("s", "github-push", "push", ". + {metaflow: {}}",
                           {"data": [{"path": "body.ref", "type": "string", "value": ["x"],
                                      "template": "{{ range .Input }}{{ end }}"}]})
    stack = tmp_path / "s"
    stack.mkdir()
    (stack / "cdk.tf.json").write_text(json.dumps(stack_from_manifests(
        [webhook_eventsource(auth=False), sensor])))
    res = run(str(stack), "--event", ev)
    assert res.exit_code == 2 and "unsupported construct: Go template action 'range'" in res.stderr
