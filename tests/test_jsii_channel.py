"""The direct kernel channel: one Node.js process, same messages, same output, same errors.

Byte-identical output against jsii's own relay is shown by
``tests/test_runtime.py::test_lazy_and_eager_loading_synthesize_byte_identical_output`` (its
eager subprocess runs stock jsii: relay on, lazy loading off).
"""

from __future__ import annotations

import os
import subprocess
import time
import types
from pathlib import Path

import pytest

from metaflow_blueprints import jsii_channel
from metaflow_blueprints.runtime import App, Construct, TerraformStack
from tests.helpers import run_python

#: Starts the kernel (the framework's App) and prints the kernel process's pid and program.
_PROBE = """
import metaflow_blueprints
from metaflow_blueprints.runtime import App
App()
import jsii
process = jsii.kernel.provider._process
print(type(process).__name__, process._process.pid, process._process.args[-1].rsplit("/", 1)[-1])
"""


def _probe(**env: str) -> subprocess.CompletedProcess[str]:
    return run_python(_PROBE, timeout=120, **env)


def test_this_session_talks_to_the_kernel_directly() -> None:
    import jsii

    App()  # the kernel runs already; make sure
    process = jsii.kernel.provider._process
    assert type(process).__name__ == "DirectNodeProcess"
    assert process._process.args[-1].endswith("/lib/program.js")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_the_kernel_is_the_only_node_process_and_exits_with_python() -> None:
    kind, pid, program = _probe().stdout.split()
    assert (kind, program) == ("DirectNodeProcess", "program.js")
    # The shell exec'd node (no relay in between); it exits when Python has: gone, or a
    # zombie until init reaps it.
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


def _running(pid: str) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_relay_env_var_keeps_jsii_own_start() -> None:
    kind, _, program = _probe(METAFLOW_BLUEPRINTS_JSII_RELAY="1").stdout.split()
    assert (kind, program) == ("_NodeProcess", "jsii-runtime.js")


def test_a_runtime_of_the_users_keeps_jsii_own_start(tmp_path: Path) -> None:
    """``JSII_RUNTIME`` (jsii's own variable) names the script jsii runs: it is honoured."""
    import importlib.resources

    import jsii._embedded.jsii as embedded

    for resource, name in embedded.EMBEDDED_FILES.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(importlib.resources.files(embedded).joinpath(resource).read_bytes())
    runtime = tmp_path / embedded.EMBEDDED_FILES[embedded.ENTRYPOINT]
    _, _, program = _probe(JSII_RUNTIME=str(runtime)).stdout.split()
    assert program == runtime.name == "jsii-runtime.js"  # jsii's start ran the user's script


def test_what_the_kernel_prints_reaches_python_stdout_and_stderr(tmp_path: Path) -> None:
    """Node's console output (a preload here; warnings in real life) is not lost."""
    preload = tmp_path / "say.cjs"
    preload.write_text(
        'process.stdout.write("kernel-out\\n"); process.stderr.write("kernel-err\\n");\n'
    )
    options = f'{os.environ.get("NODE_OPTIONS", "")} --require "{preload}"'.strip()
    result = _probe(NODE_OPTIONS=options)
    assert "kernel-out" in result.stdout.splitlines()
    assert "kernel-err" in result.stderr.splitlines()
    assert any(line.startswith("DirectNodeProcess ") for line in result.stdout.splitlines())


def test_kernel_errors_still_raise_in_python() -> None:
    stack = TerraformStack(App(), "errors")
    Construct(stack, "twice")
    with pytest.raises(RuntimeError, match="There is already a Construct with name 'twice'"):
        Construct(stack, "twice")


def test_an_unknown_jsii_process_module_is_left_alone() -> None:
    """Another jsii release without the class this was written for: jsii's start stays."""
    assert jsii_channel.direct_process_class(types.ModuleType("elsewhere")) is None

    class Partial:  # has start but not the rest
        def start(self) -> None: ...

    module = types.ModuleType("partial")
    module._NodeProcess = Partial  # type: ignore[attr-defined]
    assert jsii_channel.direct_process_class(module) is None
    jsii_channel._patch(module)
    assert module._NodeProcess is Partial  # type: ignore[attr-defined]
