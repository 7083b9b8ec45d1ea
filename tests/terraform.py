"""Run the real Terraform CLI offline: a generated CLI config that can never download.

Providers come only from a filesystem mirror (found by globbing for
``terraform-provider-aws_*``; this machine kind carries hashicorp/aws at /opt/tf-plugins);
``direct { exclude = ["*/*"] }`` forbids the registry, so a provider the mirror lacks fails
``init`` with "Failed to query available provider packages" instead of being fetched.

Without a ``terraform`` binary the calling test skips, unless ``MFB_REQUIRE_ENGINES=1``
(set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.helpers import require_engine

#: Where provider mirrors live on the machine kinds we run on (searched in order).
MIRROR_GLOBS = (
    "/opt/tf-plugins/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*",
    "/opt/*/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*",
    "/usr/share/terraform/**/terraform-provider-aws_*",
)


@cache
def binary() -> str | None:
    return shutil.which("terraform")


@cache
def aws_mirror() -> tuple[Path, str] | None:
    """``(mirror root, newest hashicorp/aws version)`` of the provider mirror, if any."""
    found: list[Path] = []
    for pattern in MIRROR_GLOBS:
        found += [Path(p) for p in glob.glob(pattern, recursive=True)]
    if not found:
        return None

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", path.parents[1].name))

    newest = max(found, key=version)
    # <root>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/<binary>
    return newest.parents[5], newest.parents[1].name


def require_terraform() -> str:
    path = binary()
    require_engine("terraform (on PATH)", path)
    assert path is not None
    return path


def require_aws_mirror() -> tuple[Path, str]:
    mirror = aws_mirror()
    require_engine("a hashicorp/aws provider mirror (terraform-provider-aws_*)", mirror)
    assert mirror is not None
    return mirror


@cache
def cli_config(base: Path) -> Path:
    """A CLI config (in ``base``) that installs from the mirror only and never downloads."""
    mirror = aws_mirror()
    lines = ["provider_installation {"]
    if mirror is not None:
        lines += [f'  filesystem_mirror {{\n    path = "{mirror[0]}"\n  }}']
    lines += ['  direct {\n    exclude = ["*/*"]\n  }', "}", 'plugin_cache_dir = ""', ""]
    path = base / "terraformrc"
    path.write_text("\n".join(lines))
    return path


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(
    args: list[str], cwd: Path, *, config_dir: Path, timeout: float = 300, input: str = ""
) -> Result:
    """``terraform ARGS`` in ``cwd`` with the offline CLI config; ``input`` on stdin (e.g.
    ``console`` expressions), never interactive."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TF_") and key != "CHECKPOINT_DISABLE"
    }
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config(config_dir)),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        TF_DATA_DIR=str(cwd / ".terraform"),
    )
    proc = subprocess.run(
        [require_terraform(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


# --- terraform init: configuration errors vs. providers the mirror lacks -------------------

#: The only diagnostic an offline ``init`` may report: a provider (version) the mirror lacks.
#: Both the summary and the detail must match, so no other error can pass as this one.
_PROVIDER_UNAVAILABLE = re.compile(
    r"^Error: Failed to query available provider packages\n\n"
    r"Could not retrieve the list of available versions for provider [\w./-]+: "
    r"(provider [\w./-]+ was not found in any of the search locations"
    r"|no available releases match the given constraints [^\n]+)\n",
)


def diagnostics(output: str) -> list[str]:
    """The ``Error:`` diagnostics of ``-no-color`` output, each with its detail (unwrapped)."""
    blocks = re.split(r"\n(?=Error: )", "\n" + output.replace("\r", ""))
    found = []
    for block in blocks:
        if not block.startswith("Error: "):
            continue
        paragraphs = [" ".join(p.split()) for p in block.strip().split("\n\n")]
        found.append("\n\n".join(paragraphs) + "\n")
    return found


def init_errors(result: Result) -> list[str]:
    """Every error of an ``init`` except "this provider/version is not in the mirror"."""
    errors = [d.strip() for d in diagnostics(result.output) if not _PROVIDER_UNAVAILABLE.match(d)]
    if result.returncode != 0 and not diagnostics(result.output):
        errors.append(f"exit {result.returncode} without a diagnostic: {result.output.strip()}")
    return errors


def init(workdir: Path, *, config_dir: Path) -> list[str]:
    """``terraform init -backend=false`` in ``workdir``; the configuration errors it reports."""
    result = run(
        ["init", "-backend=false", "-input=false", "-no-color"], workdir, config_dir=config_dir
    )
    return init_errors(result)
