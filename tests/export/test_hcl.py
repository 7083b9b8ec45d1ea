"""HCL export: JSON and HCL forms of every module and reference stack are equivalent."""

from __future__ import annotations

from typing import Any

import pytest

from metaflow_blueprints.export import hcl
from tests.export.hclparse import canonical_expressions, json_form, parse, unescape


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        'quote " and back\\slash',
        "multi\nline\twith\rcontrols\x01",
        "${var.name}-token",
        '${coalesce(var.endpoint, "/${var.name}")}',
        "escaped $${not} %%{not} and {braces}",
        '. as $e | {"metaflow": {name: "${var.event}"}}',
    ],
)
def test_quote_round_trips_through_hcl_escapes(text: str) -> None:
    quoted = hcl.quote(text)
    assert quoted.startswith('"') and quoted.endswith('"')
    assert "\n" not in quoted
    assert unescape(quoted[1:-1]) == text


def test_interpolations_are_copied_verbatim() -> None:
    assert hcl.quote('${regex("a\\\\d", var.x)}') == '"${regex("a\\\\d", var.x)}"'
    assert hcl.quote('say "${var.x}"') == '"say \\"${var.x}\\""'


def test_unterminated_interpolation_is_an_error() -> None:
    with pytest.raises(ValueError, match="unterminated"):
        hcl.quote("${var.x")


def test_render_rejects_unknown_sections_and_values() -> None:
    with pytest.raises(ValueError, match="unknown top-level"):
        hcl.render({"bogus": {}})
    with pytest.raises(TypeError, match="cannot render"):
        hcl.expression(object())


def _check_equivalent(doc: dict[str, Any], schema: hcl.BlockSchema, text: str) -> None:
    assert canonical_expressions(parse(text, schema)) == canonical_expressions(
        json_form(doc, schema)
    )


def test_every_module_hcl_matches_its_json(modules: dict[str, Any]) -> None:
    names = sorted(modules)
    texts = hcl.format_hcl(hcl.render(modules[n].doc, modules[n].schema) for n in names)
    for name, text in zip(names, texts, strict=True):
        _check_equivalent(modules[name].doc, modules[name].schema, text)


def test_every_reference_stack_hcl_matches_its_json(
    reference_stacks: dict[str, tuple[Any, Any]],
) -> None:
    names = sorted(reference_stacks)
    texts = hcl.format_hcl(hcl.render(*reference_stacks[n]) for n in names)
    for name, text in zip(names, texts, strict=True):
        doc, schema = reference_stacks[name]
        _check_equivalent(doc, schema, text)
        # platform applies its Argo objects with a local Helm chart, not kubernetes_manifest
        assert ("helm_release" if name == "platform" else "kubernetes_manifest") in text, name


def test_blocks_are_blocks_and_manifests_keep_lists(
    reference_stacks: dict[str, tuple[Any, Any]],
) -> None:
    doc, schema = reference_stacks["webhook"]
    text = hcl.to_hcl(doc, schema)
    assert ("metadata",) in schema["kubernetes_secret_v1"]
    assert "\n  metadata {\n" in text  # a nested block, not `metadata = {`
    assert "manifest = {" in text  # an attribute of type any
    assert "ports = [" in text  # cdktf's own HCL renders this list as {0 = ...}
    assert "depends_on = [kubernetes_secret_v1." in text


def test_output_is_canonically_formatted(modules: dict[str, Any]) -> None:
    text = hcl.to_hcl(modules["webhook"].doc, modules["webhook"].schema)
    assert hcl.format_hcl([text]) == [text]  # formatting is idempotent
    assert '  type        = string\n' in text  # hclwrite aligned the `=` signs


def test_missing_hcl_tools_fails_with_instructions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(hcl, "TOOLS_DIR", tmp_path)
    with pytest.raises(hcl.HclToolsMissing, match="make"):
        hcl.format_hcl(["a = 1\n"])
