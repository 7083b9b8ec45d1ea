"""Export one blueprint as a self-contained Terraform module (JSON or HCL) with a README.

The blueprint is built in a throwaway stack whose props are ``TerraformVariable`` tokens,
synthesized, then cleaned: no backend, no provider blocks, ``required_providers`` with the
version constraints of ``runtime.PROVIDER_SOURCES``, variables exactly as the spec says,
only the spec's outputs, no cdktf metadata. A module takes its providers from its caller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metaflow_blueprints.argo.names import slug
from metaflow_blueprints.export import hcl
from metaflow_blueprints.export.spec import Input, ModuleSpec
from metaflow_blueprints.runtime import (
    PROVIDER_SOURCES,
    App,
    TerraformOutput,
    TerraformStack,
    TerraformVariable,
    synth_stack,
)

_TOKEN_SLUG = re.compile(r"tftoken-token-(\d+)")
_LEFTOVER = re.compile(r"tftoken", re.IGNORECASE)


class ExportError(RuntimeError):
    """The blueprint cannot be expressed as a module (a bug in its spec or construct)."""


@dataclass(frozen=True)
class Module:
    """A generated module: its Terraform JSON document and the HCL block schema."""

    spec: ModuleSpec
    doc: dict[str, Any]
    schema: hcl.BlockSchema

    def json(self) -> str:
        return json.dumps(self.doc, indent=2) + "\n"


def build(spec: ModuleSpec) -> Module:
    """Synthesize ``spec``'s blueprint with variables as props and clean the result."""
    app = App()
    stack = TerraformStack(app, spec.name)
    tokens: dict[str, Any] = {}
    slugs: dict[str, str] = {}
    for item in spec.inputs:
        variable = TerraformVariable(stack, item.name, type=item.type)
        token: Any = variable.value
        if item.type == "string":
            token = variable.string_value
        elif item.type == "number":
            token = variable.number_value
        elif item.type.startswith("list("):
            token = variable.list_value
        tokens[item.name] = token
        if item.derived is not None:
            slugs[slug(str(token))] = item.derived
    blueprint = spec.build(stack, tokens)
    for out in spec.outputs:
        # Outputs may share a name with a variable (Terraform allows it; construct ids don't).
        TerraformOutput(
            stack, f"output_{out.name}", value=out.value(blueprint),
            description=out.description, sensitive=out.sensitive or None,
        ).override_logical_id(out.name)
    doc = synth_stack(stack)
    variables = {item.name: _variable(item, item.description or "") for item in spec.inputs}
    return Module(spec, _clean(doc, spec, variables, slugs), hcl.block_paths(stack))


def _variable(item: Input, description: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": item.type, "description": description}
    if not item.required:
        body["default"] = item.default
    if not item.nullable:
        body["nullable"] = False
    if item.sensitive:
        body["sensitive"] = True
    if item.validations:
        body["validation"] = [
            {"condition": rule.condition(item.name), "error_message": f"{item.name} {rule.message}"}
            for rule in item.validations
        ]
    return body


def _clean(
    doc: dict[str, Any],
    spec: ModuleSpec,
    variables: dict[str, Any],
    slugs: Mapping[str, str],
) -> dict[str, Any]:
    if "provider" in doc:
        providers = sorted(doc["provider"])
        raise ExportError(f"{spec.name}: the blueprint configured providers {providers}")
    types = [*doc.get("resource", {}), *doc.get("data", {})]
    used = sorted({type_.split("_", 1)[0] for type_ in types})
    unknown = [name for name in used if name not in PROVIDER_SOURCES]
    if unknown:
        raise ExportError(f"{spec.name}: no source/version constraint for providers {unknown}")
    required = {
        name: {"source": PROVIDER_SOURCES[name][0], "version": PROVIDER_SOURCES[name][1]}
        for name in used
    }
    outputs = doc.get("output", {})
    missing = [out.name for out in spec.outputs if out.name not in outputs]
    if missing:
        raise ExportError(f"{spec.name}: outputs {missing} were not synthesized")
    resources = _replace_slugs(_strip_comments(doc.get("resource", {})), slugs)
    module: dict[str, Any] = {
        "terraform": {"required_providers": required},
        "variable": variables,
        "resource": resources,
        "output": {
            out.name: _replace_slugs(_strip_comments(outputs[out.name]), slugs)
            for out in spec.outputs
        },
    }
    if "data" in doc:
        module["data"] = _replace_slugs(_strip_comments(doc["data"]), slugs)
    leftover = _LEFTOVER.search(json.dumps(module))
    if leftover:
        raise ExportError(
            f"{spec.name}: the blueprint computed a value in Python from a Terraform variable "
            "(a cdktf token survived into the module); give that input `derived=` or keep it "
            "a generation-time constant."
        )
    return module


def _strip_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def _replace_slugs(value: Any, slugs: Mapping[str, str]) -> Any:
    def fix(text: str) -> str:
        return _TOKEN_SLUG.sub(lambda m: slugs.get(m.group(0), m.group(0)), text)

    if isinstance(value, dict):
        return {fix(k): _replace_slugs(v, slugs) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_slugs(v, slugs) for v in value]
    if isinstance(value, str):
        return fix(value)
    return value


# --- writing ----------------------------------------------------------------------------


def write(
    modules: list[Module], out: Path, *, fmt: str = "hcl", nested: bool = False
) -> list[Path]:
    """Write each module (``main.tf`` or ``main.tf.json``) and its README.md.

    ``nested`` writes ``out/<name>/``; otherwise a single module goes straight to ``out``.
    """
    if fmt not in ("hcl", "json"):
        raise ValueError(f"format must be 'hcl' or 'json', not {fmt!r}")
    texts = (
        hcl.format_hcl(hcl.render(m.doc, m.schema) for m in modules)
        if fmt == "hcl"
        else [m.json() for m in modules]
    )
    examples = format_examples(modules)
    written: list[Path] = []
    for module, text, example in zip(modules, texts, examples, strict=True):
        target = out / module.spec.name if nested else out
        target.mkdir(parents=True, exist_ok=True)
        stale = target / ("main.tf.json" if fmt == "hcl" else "main.tf")
        stale.unlink(missing_ok=True)
        main = target / ("main.tf" if fmt == "hcl" else "main.tf.json")
        main.write_text(text)
        readme = target / "README.md"
        readme.write_text(render_readme(module, example))
        written += [main, readme]
    return written


def format_examples(modules: list[Module]) -> list[str]:
    """The README example ``module`` block of each module, formatted."""
    return hcl.format_hcl(example_block(m) for m in modules)


def example_block(module: Module) -> str:
    """An unformatted ``module`` block calling ``module`` with its required inputs."""
    lines = [f'source = "./modules/{module.spec.name}"']
    for item in module.spec.inputs:
        if item.required:
            lines.append(f"{item.name} = {hcl.quote(item.example or f'<{item.name}>')}")
    lines.append('namespace = "metaflow"')
    return f'module "{module.spec.name}" {{\n' + "\n".join(lines) + "\n}\n"


def render_readme(module: Module, example: str) -> str:
    """The module's README: what it does, inputs, outputs, an example call."""
    spec = module.spec
    cls = spec.blueprint.partition(":")[2]
    rows = ["| name | type | default | description |", "| --- | --- | --- | --- |"]
    for name, body in module.doc["variable"].items():
        default = "required" if "default" not in body else f"`{json.dumps(body['default'])}`"
        rules = "; ".join(v["error_message"] for v in body.get("validation", []))
        text = body["description"] + (f" Validation: {rules}" if rules else "")
        rows.append(f"| `{name}` | `{body['type']}` | {default} | {_cell(text)} |")
    outs = ["| name | sensitive | description |", "| --- | --- | --- |"]
    for name, body in module.doc["output"].items():
        outs.append(f"| `{name}` | {'yes' if body.get('sensitive') else 'no'} | "
                    f"{_cell(body.get('description', ''))} |")
    providers = "\n".join(
        f"- `{name}`: `{body['source']}` `{body['version']}`"
        for name, body in module.doc["terraform"]["required_providers"].items()
    )
    notes = "".join(f"- {note}\n" for note in spec.notes)
    fixed = ["| prop | value | why |", "| --- | --- | --- |"]
    fixed += [f"| `{f.prop}` | `{_cell(f.value)}` | {_cell(f.reason)} |" for f in spec.fixed]
    return (
        f"# `{spec.name}` module\n\n"
        f"<!-- Generated by `metaflow-blueprints module {spec.name}` (make modules); "
        "do not edit. -->\n\n"
        f"{spec.summary}\n\nGenerated from the `{cls}` construct. The module configures no "
        "provider and no backend: it uses the caller's providers.\n\n"
        f"## Providers\n\n{providers}\n\n"
        f"## Inputs\n\n" + "\n".join(rows) + "\n\n"
        "## Outputs\n\n" + "\n".join(outs) + "\n\n"
        "## Fixed at generation\n\nConstruct props the module does not expose, with the value "
        "they get (the construct's default unless the module sets one); use the construct to "
        "choose them.\n\n" + "\n".join(fixed) + "\n\n"
        f"## Example\n\n```hcl\n{example}```\n\n"
        "From another repository use a git source, e.g. "
        f"`git::https://<host>/<org>/metaflow-blueprints.git//modules/{spec.name}?ref=<tag>`.\n"
        + (f"\n## Limits\n\n{notes}" if notes else "")
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
