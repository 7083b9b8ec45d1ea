"""Generated modules: shape, documentation, export errors (validations: tests/test_rules.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.export import module, registry
from metaflow_blueprints.export.spec import Input, ModuleSpec, Output
from metaflow_blueprints.runtime import PROVIDER_SOURCES


def test_every_blueprint_has_a_module(modules: dict[str, Any]) -> None:
    assert sorted(modules) == registry.names()
    assert "webhook" in modules


def test_no_provider_no_backend_and_constrained_providers(modules: dict[str, Any]) -> None:
    for name, mod in modules.items():
        doc = mod.doc
        assert "provider" not in doc, name
        assert set(doc["terraform"]) == {"required_providers"}, name
        required = doc["terraform"]["required_providers"]
        types = [*doc["resource"], *doc.get("data", {})]
        assert set(required) == {t.split("_", 1)[0] for t in types}, name
        for provider, body in required.items():
            source, version = PROVIDER_SOURCES[provider]
            assert body == {"source": source, "version": version}
            assert version.startswith(("~>", ">="))


def test_variables_and_outputs_as_documented(modules: dict[str, Any]) -> None:
    for name, mod in modules.items():
        spec = mod.spec
        variables = mod.doc["variable"]
        assert list(variables) == [item.name for item in spec.inputs], name
        for item in spec.inputs:
            body = variables[item.name]
            assert body["type"] == item.type
            assert body["description"].strip(), f"{name}.{item.name} has no description"
            assert ("default" not in body) == item.required
            assert body.get("sensitive", False) == item.sensitive
        outputs = mod.doc["output"]
        assert list(outputs) == [out.name for out in spec.outputs]
        for out in spec.outputs:
            assert outputs[out.name].get("sensitive", False) == out.sensitive
        text = json.dumps(mod.doc)
        assert "tftoken" not in text.lower(), f"{name}: a cdktf token leaked"
        assert "//" not in mod.doc and '"//"' not in text


def test_webhook_module_wires_variables_through() -> None:
    doc = module.build(registry.get("webhook")).doc
    manifests = doc["resource"]["kubernetes_manifest"].values()
    sensor = next(m["manifest"] for m in manifests if m["manifest"]["kind"] == "Sensor")
    assert sensor["metadata"]["name"] == "mfb--${var.name}"
    assert sensor["metadata"]["namespace"] == "${var.namespace}"
    assert sensor["spec"]["dependencies"][0]["eventName"] == "metaflow-event"
    assert '"${var.event}"' in sensor["spec"]["dependencies"][0]["transform"]["jq"]
    assert doc["output"]["token"]["sensitive"] is True
    assert doc["output"]["sensor_name"]["value"] == "mfb--${var.name}"


def test_readme_documents_inputs_outputs_and_example(tmp_path: Path) -> None:
    built = module.build(registry.get("webhook"))
    paths = module.write([built], tmp_path, fmt="json")
    assert {p.name for p in paths} == {"main.tf.json", "README.md"}
    readme = (tmp_path / "README.md").read_text()
    for name in [*built.doc["variable"], *built.doc["output"]]:
        assert f"| `{name}` |" in readme
    assert 'module "webhook" {' in readme and 'source    = "./modules/webhook"' in readme
    assert json.loads((tmp_path / "main.tf.json").read_text()) == built.doc
    module.write([built], tmp_path, fmt="hcl")  # switching format removes the other file
    assert (tmp_path / "main.tf").exists() and not (tmp_path / "main.tf.json").exists()


# --- validations (agreement with the constructs: tests/test_rules.py) -------------------


def test_spec_check_value_raises_blueprint_error() -> None:
    spec = registry.get("webhook")
    with pytest.raises(BlueprintError, match="name="):
        spec.check_value("name", "Bad_Name")
    spec.check_value("name", "good-name")
    spec.check_value("webhook_url", None)  # null passes: the default applies


# --- errors ------------------------------------------------------------------------------


def test_unknown_blueprint_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"known: .*webhook"):
        registry.get("nope")


def test_token_leaking_into_a_derived_name_is_an_export_error() -> None:
    spec = registry.get("webhook")
    inputs = tuple(
        Input(i.name, description="x") if i.name == "name" else i for i in spec.inputs
    )  # `name` without derived=: mfb--tftoken-token-N would leak
    broken = ModuleSpec(
        name="broken", blueprint=spec.blueprint, summary="", inputs=inputs,
        outputs=(Output("sensor_name", lambda b: b.sensor.name, "x"),), build=spec.build,
    )
    with pytest.raises(module.ExportError, match="computed a value in Python"):
        module.build(broken)


def test_write_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        module.write([], tmp_path, fmt="yaml")
