"""CLI and settings mistakes end in one line on stderr and exit 2 (bad input), run as a
user runs them: the installed console script and ``python -m stacks`` in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLI = shutil.which("metaflow-blueprints", path=str(Path(sys.executable).parent))

MANIFEST = {
    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns"},
    "data": {"queue": "${aws_sqs_queue.q.url}"},
}  # fmt: skip


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    assert CLI is not None, "the metaflow-blueprints console script is not installed"
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, timeout=300, check=False
    )


def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _stack(tmp_path: Path, doc: object) -> Path:
    (tmp_path / "cdk.tf.json").write_text(json.dumps(doc))
    return tmp_path


def test_manifests_set_of_an_unknown_reference_is_refused(tmp_path: Path) -> None:
    stack = _stack(tmp_path, {"resource": {"kubernetes_manifest": {"m": {"manifest": MANIFEST}}}})
    out = tmp_path / "out"
    _one_line_error(
        _cli("manifests", str(stack), "--out", str(out), "--set", "nosuch=1",
             "--set", "aws_sqs_queue.q.url=https://q"),
        "--set nosuch", "aws_sqs_queue.q.url",
    )  # fmt: skip
    assert not out.exists()
    ok = _cli("manifests", str(stack), "--out", str(out), "--set", "aws_sqs_queue.q.url=https://q")
    assert ok.returncode == 0, ok.stderr
    assert "https://q" in next(out.glob("*.yaml")).read_text()


@pytest.mark.parametrize(
    "doc",
    [
        {"resource": []},
        {"resource": {"kubernetes_manifest": []}},
        {"resource": {"kubernetes_manifest": {"x": "text"}}},
        {"resource": {"kubernetes_manifest": {"x": {"manifest": "text"}}}},
        {"resource": {"kubernetes_secret_v1": {"x": {"metadata": "text"}}}},
        {"output": ["x"]},
        ["not", "an", "object"],
    ],
)
@pytest.mark.parametrize("command", ["manifests", "graph"])
def test_malformed_stack_file_is_bad_input(tmp_path: Path, doc: object, command: str) -> None:
    stack = _stack(tmp_path, doc)
    extra = ["--out", str(tmp_path / "out")] if command == "manifests" else []
    _one_line_error(_cli(command, str(stack), *extra), "cdk.tf.json")


def test_stack_file_that_is_not_json_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "cdk.tf.json").write_text("{ not json")
    _one_line_error(_cli("graph", str(tmp_path)), "not JSON")


def _synth(tmp_path: Path, settings: object) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "settings.json"
    path.write_text(settings if isinstance(settings, str) else json.dumps(settings))
    env = {**os.environ, "MFB_SETTINGS": str(path), "CDKTF_OUTDIR": str(tmp_path / "out")}
    return subprocess.run(
        [sys.executable, "-m", "stacks"], capture_output=True, text=True, timeout=600,
        cwd=REPO, env=env, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"namespac": "metaflow"}, "'namespac'"),
        ({"aws": {"regoin": "eu-west-1"}}, "aws.regoin"),
        ({"webhook": {"ingress_hosts": "x"}}, "webhook.ingress_hosts"),
        ({"platform": {"enable": False}}, "platform.enable"),
        ({"gcp": "acme"}, "'gcp' must be an object"),
        ("[1, 2]", "JSON object"),
        ("{oops", "cannot read"),
    ],
)
def test_unknown_or_malformed_settings_name_the_key(
    tmp_path: Path, settings: object, named: str
) -> None:
    _one_line_error(_synth(tmp_path, settings), "MFB_SETTINGS", named)
    assert not (tmp_path / "out").exists()


def test_known_settings_still_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from stacks import settings

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"namespace": "argo-events", "aws": {"region": "eu-west-1"},
                                "webhook": {"ingress_host": "hooks.acme.com"},
                                "platform": {"enabled": False}}))  # fmt: skip
    monkeypatch.setenv("MFB_SETTINGS", str(path))
    loaded = settings.load()
    assert loaded["namespace"] == "argo-events" and loaded["aws"] == {"region": "eu-west-1"}
    assert loaded["webhook"]["ingress_host"] == "hooks.acme.com"
    assert loaded["webhook"]["ingress_class"] == "nginx"
    assert loaded["platform"] == {**settings.DEFAULTS["platform"], "enabled": False}
