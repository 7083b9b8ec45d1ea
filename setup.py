"""Build hooks pyproject.toml cannot express (all metadata lives there).

* ``metaflow_blueprints_node.pth`` goes to the root of the wheel (site-packages), so jsii
  uses the wheel's Node.js even when ``cdktf`` is imported before ``metaflow_blueprints``.
* The pinned ``@cdktf/hcl-tools`` (hclwrite's formatter, ``export/hcl_tools/node_modules``,
  installed by ``make``) must be present: a wheel without it could not write HCL.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
PTH = HERE / "constructs" / "metaflow_blueprints_node.pth"
HCL_TOOLS = HERE / "constructs" / "metaflow_blueprints" / "export" / "hcl_tools"


class BuildPy(build_py):
    def run(self) -> None:
        if not self.editable_mode and not (HCL_TOOLS / "node_modules" / "@cdktf").is_dir():
            raise SystemExit(
                f"{HCL_TOOLS}/node_modules is missing: run `make` (or `python -m "
                "metaflow_blueprints.export.hcl --install`) before building the wheel"
            )
        super().run()
        if not self.editable_mode:
            self.copy_file(str(PTH), str(Path(self.build_lib) / PTH.name))


setup(cmdclass={"build_py": BuildPy})
