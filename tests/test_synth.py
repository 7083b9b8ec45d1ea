"""Writing the reference app to disk: JSON, and HCL that really is HCL and says the same."""

from __future__ import annotations

import json
from pathlib import Path

from metaflow_blueprints.export import hcl
from metaflow_blueprints.runtime import TerraformStack
from metaflow_blueprints.synth import synth_app
from stacks.__main__ import STACKS, build
from tests.export.hclparse import json_form, parse


def test_hcl_output_is_formatted_hcl_equivalent_to_the_json(tmp_path: Path) -> None:
    json_files = synth_app(build(str(tmp_path / "json")))
    assert sorted(p.parent.name for p in json_files) == sorted(STACKS)
    app = build(str(tmp_path / "hcl"), hcl=True)
    hcl_files = synth_app(app, hcl_output=True)
    manifest = json.loads((tmp_path / "hcl" / "manifest.json").read_text())
    stacks = {c.node.id: c for c in app.node.children if isinstance(c, TerraformStack)}
    for path in hcl_files:
        name = path.parent.name
        assert path.name == "cdk.tf" and not (path.parent / "cdk.tf.json").exists()
        assert manifest["stacks"][name]["synthesizedStackPath"].endswith("/cdk.tf")
        text = path.read_text()
        assert not text.lstrip().startswith("{"), "cdk.tf holds JSON, not HCL"
        schema = hcl.block_paths(stacks[name])
        doc = json.loads((tmp_path / "json" / "stacks" / name / "cdk.tf.json").read_text())
        assert parse(text, schema) == json_form(doc, schema), name
        assert hcl.format_hcl([text]) == [text], f"{name}: not in canonical format"
