"""docs/replay.md is true: every command in it prints what the page shows, and its Python
blocks run as written, against the synthesized reference stacks."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "replay.md"
CLI = shutil.which("metaflow-blueprints", path=str(Path(sys.executable).parent))


def console_commands() -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` of every ``$ ...`` in the page's console blocks."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", PAGE.read_text(), re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            assert lines[i].startswith("$ "), lines[i]
            command = lines[i][2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + lines[i].strip()
            i += 1
            output = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            found.append((command, output))
    return found


def test_the_page_has_no_stale_references() -> None:
    text = PAGE.read_text()
    for stale in ("github-push", "to come", "belong in the README"):
        assert stale not in text, stale
    # the constructed bus events live in ../shared, not in this repository
    assert not re.search(r"(?<!argo-events/)examples/event-payloads", text)
    for example in re.findall(r"examples/events/[\w/.-]+\.json", text):
        assert (REPO / example).is_file(), example


@pytest.mark.parametrize(("command", "expected"), console_commands())
def test_every_command_prints_what_the_page_shows(
    command: str, expected: list[str], reference_out: Path
) -> None:
    assert CLI is not None
    args = shlex.split(command.replace("cdktf.out", str(reference_out)))
    assert args[0] == "metaflow-blueprints"
    result = subprocess.run(
        [CLI, *args[1:]], capture_output=True, text=True, cwd=REPO, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).splitlines() == expected


def test_the_python_blocks_run_as_written(
    reference_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert len(blocks) == 2
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(block.replace("cdktf.out", str(reference_out)), namespace)
    assert namespace["event"]
