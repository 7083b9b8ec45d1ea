"""Synthesize an App to disk: Terraform JSON (``cdk.tf.json``) or real, formatted HCL.

cdktf 0.21 cannot do the HCL part itself: ``App(hcl_output=True)`` writes JSON into files
named ``cdk.tf`` (each stack's synthesizer only reads ``SYNTH_HCL_OUTPUT``), and its HCL
renderer (``to_hcl_terraform``) turns lists inside ``kubernetes_manifest`` into objects keyed
``0``, ``1``... and leaves newlines and backslashes unescaped. So HCL is rendered here from
the synthesized JSON by :mod:`metaflow_blueprints.export.hcl` and formatted by hclwrite
(``terraform fmt``'s formatter).
"""

from __future__ import annotations

import json
from pathlib import Path

from metaflow_blueprints.export import hcl
from metaflow_blueprints.runtime import App, TerraformStack

#: cdktf's name for a HCL stack's JSON side file (``Manifest.stackMetadataPath``).
METADATA_FILE = "metadata.json"


def synth_app(app: App, *, hcl_output: bool = False) -> list[Path]:
    """Synthesize every stack of ``app`` into its outdir; return the stack files written.

    ``hcl_output=True`` writes ``stacks/<name>/cdk.tf`` (HCL) instead of ``cdk.tf.json`` and
    updates ``manifest.json`` to match, whether or not the App was created with
    ``hcl_output=True``. Beside each ``cdk.tf`` goes ``metadata.json`` (the manifest's
    ``stackMetadataPath``): the Terraform JSON the HCL was rendered from. The cdktf CLI reads
    a HCL stack's ``"//"`` and ``terraform`` keys from that file (it cannot parse HCL), and
    ``graph``/``manifests``/``replay`` read the stack from it. Terraform ignores it (not
    ``*.tf``/``*.tf.json``).
    """
    app.synth()
    outdir = Path(app.outdir)
    manifest_file = outdir / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    stacks = [c for c in app.node.children if isinstance(c, TerraformStack)]
    entries = [manifest["stacks"][stack.node.id] for stack in stacks]
    written = [outdir / entry["synthesizedStackPath"] for entry in entries]
    if not hcl_output:
        return written
    docs = [json.loads(path.read_text()) for path in written]
    texts = hcl.format_hcl(
        hcl.render(doc, hcl.block_paths(stack)) for doc, stack in zip(docs, stacks, strict=True)
    )
    hcl_files: list[Path] = []
    for path, entry, doc, text in zip(written, entries, docs, texts, strict=True):
        target = path.with_suffix("") if path.suffix == ".json" else path
        if target != path:
            path.unlink()
            entry["synthesizedStackPath"] = str(Path(entry["synthesizedStackPath"]).with_suffix(""))
        target.write_text(text)
        metadata = entry.setdefault(
            "stackMetadataPath", str(Path(entry["synthesizedStackPath"]).parent / METADATA_FILE)
        )
        (outdir / metadata).write_text(json.dumps(doc, indent=2) + "\n")
        hcl_files.append(target)
    manifest_file.write_text(json.dumps(manifest, indent=2))
    return hcl_files
