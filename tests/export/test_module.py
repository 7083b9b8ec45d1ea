"""Generated modules: shape, documentation, and validations that match the constructs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.argo import WebhookEvent
from metaflow_blueprints.argo.names import check_object_name
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.export import module, registry
from metaflow_blueprints.export.spec import Input, ModuleSpec, Output
from metaflow_blueprints.metaflow.contract import check_event
from metaflow_blueprints.metaflow_events import _check_namespace
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


# --- validations: the Terraform condition rejects what the construct rejects ---------------


def _hcl_string(literal: str) -> str:
    return re.sub(r'\\(["\\])', r"\1", literal)


def terraform_accepts(condition: str, var: str, value: str) -> bool:
    """Evaluate a generated condition (regex / length / contains) in Python, as RE2 would."""
    ok = True
    for literal in re.findall(r'can\(regex\("((?:[^"\\]|\\.)*)", var\.' + var + r"\)\)", condition):
        pattern = re.sub(r"\$$", r"\\Z", _hcl_string(literal))  # RE2 `$` = end of text
        ok = ok and re.search(pattern, value) is not None
    for limit in re.findall(r"length\(var\." + var + r"\), 0\) <= (\d+)", condition):
        ok = ok and len(value) <= int(limit)
    for values in re.findall(r"!contains\(\[([^\]]*)\], var\." + var + r"\)", condition):
        ok = ok and value not in re.findall(r'"([^"]*)"', values)
    return ok


def module_accepts(var: str, value: str) -> bool:
    body = module.build(registry.get("webhook")).doc["variable"][var]
    return all(terraform_accepts(v["condition"], var, value) for v in body["validation"])


def _rejects(check: Any, value: str) -> bool:
    try:
        check(value)
    except BlueprintError:
        return True
    return False


BAD_NAMES = ["", "Upper", "1starts-with-digit", "ends-with-", "has_underscore", "has.dot",
             "a" * 48, "spa ce"]
GOOD_NAMES = ["orders", "orders-ready", "a", "a1-b2"]
BAD_EVENTS = ["", "has space", "slash/no", "star*", "ünïcode"]
GOOD_EVENTS = ["data.updated", "S3_upload-1", "x"]
BAD_NAMESPACES = ["", "Upper", "-lead", "trail-", "dot.ted", "a" * 64]
BAD_ENDPOINTS = ["", "no-slash", "/health", "/sp ace", "/q?x=1"]


@pytest.fixture(scope="module")
def webhook_vars() -> dict[str, Any]:
    return module.build(registry.get("webhook")).doc["variable"]


def _accepts(webhook_vars: dict[str, Any], var: str, value: str) -> bool:
    return all(
        terraform_accepts(v["condition"], var, value) for v in webhook_vars[var]["validation"]
    )


def test_name_validation_matches_construct(webhook_vars: dict[str, Any]) -> None:
    for bad in BAD_NAMES:
        assert _rejects(lambda v: check_object_name("name", v), bad), bad
        assert not _accepts(webhook_vars, "name", bad), bad
    for good in GOOD_NAMES:
        assert not _rejects(lambda v: check_object_name("name", v), good)
        assert _accepts(webhook_vars, "name", good), good
    # Stricter than the construct where Terraform cannot hash: 43-47 characters.
    assert not _rejects(lambda v: check_object_name("name", v), "a" * 47)
    assert not _accepts(webhook_vars, "name", "a" * 43)
    assert _accepts(webhook_vars, "name", "a" * 42)


def test_event_bus_validation_matches_construct(webhook_vars: dict[str, Any]) -> None:
    for bad in BAD_NAMES:
        assert not _accepts(webhook_vars, "event_bus", bad), bad
    assert _accepts(webhook_vars, "event_bus", "a" * 47)


def test_event_validation_matches_construct(webhook_vars: dict[str, Any]) -> None:
    for bad in BAD_EVENTS:
        assert _rejects(lambda v: check_event("event", v), bad), bad
        assert not _accepts(webhook_vars, "event", bad), bad
    for good in GOOD_EVENTS:
        assert not _rejects(lambda v: check_event("event", v), good)
        assert _accepts(webhook_vars, "event", good)


def test_namespace_validation_matches_construct(webhook_vars: dict[str, Any]) -> None:
    def check(value: str) -> None:
        _check_namespace(value)

    for bad in BAD_NAMESPACES:
        assert _rejects(check, bad), bad
        assert not _accepts(webhook_vars, "namespace", bad), bad
    assert _accepts(webhook_vars, "namespace", "metaflow")


def test_endpoint_validation_matches_construct(webhook_vars: dict[str, Any]) -> None:
    def check(value: str) -> None:
        WebhookEvent(endpoint=value)

    for bad in BAD_ENDPOINTS:
        assert _rejects(check, bad), bad
        assert not _accepts(webhook_vars, "endpoint", bad), bad
    assert _accepts(webhook_vars, "endpoint", "/hooks/orders")


def test_trailing_newline_is_rejected_at_synth_and_at_plan_time(
    webhook_vars: dict[str, Any],
) -> None:
    # Python's `$` also matches before a final newline; the constructs use fullmatch so that
    # synth rejects "orders\n" exactly as Terraform's RE2 `$` does at plan time.
    from metaflow_blueprints.argo.names import check_object_name
    from metaflow_blueprints.metaflow.contract import check_event

    assert not _accepts(webhook_vars, "name", "orders\n")
    assert not _accepts(webhook_vars, "event", "data.updated\n")
    with pytest.raises(BlueprintError):
        check_object_name("name", "orders\n")
    with pytest.raises(BlueprintError):
        check_event("event", "data.updated\n")


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
