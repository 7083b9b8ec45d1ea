"""Plain manifests (round trip, unresolved references) and the Mermaid graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from metaflow_blueprints.export import graph, manifests
from metaflow_blueprints.tools.schema import argo_manifests
from tests.helpers import REPO


def _argo_objects(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """kubernetes_manifest bodies and the platform's objects-chart manifests."""
    return [manifest for _, manifest in argo_manifests(doc)]


def _manifest_bodies(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """kubernetes_manifest bodies only (what the graph draws: sources and bridges)."""
    return [r["manifest"] for r in doc["resource"].get("kubernetes_manifest", {}).values()]


def test_manifests_round_trip_every_reference_stack(
    reference_stacks: dict[str, tuple[Any, Any]], tmp_path: Path
) -> None:
    for name, (doc, _) in reference_stacks.items():
        export = manifests.collect(doc)
        out = tmp_path / name
        paths = manifests.write(export, out, allow_unresolved=True)
        loaded = [yaml.safe_load(p.read_text()) for p in paths]
        argo = [o for o in loaded if o["apiVersion"] == "argoproj.io/v1alpha1"]
        expected = _argo_objects(doc)
        assert expected, name
        assert sorted(argo, key=repr) == sorted(expected, key=repr), name
        assert len(set(paths)) == len(paths) == len(export.objects)


def test_unresolved_reference_is_an_error_naming_the_field(
    reference_stacks: dict[str, tuple[Any, Any]], tmp_path: Path
) -> None:
    doc, _ = reference_stacks["webhook"]
    export = manifests.collect(doc)
    assert export.unresolved
    with pytest.raises(manifests.UnresolvedReferenceError) as info:
        manifests.write(export, tmp_path)
    message = str(info.value)
    where, expr = export.unresolved[0]
    assert where in message and expr in message and "--set" in message
    assert where.endswith(".stringData.token") and expr.startswith("random_password.")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_set_resolves_references(
    reference_stacks: dict[str, tuple[Any, Any]], tmp_path: Path
) -> None:
    doc, _ = reference_stacks["webhook"]
    names = sorted({expr for _, expr in manifests.collect(doc).unresolved})
    sets = manifests.parse_sets([f"{name}=s3cret" for name in names])
    export = manifests.collect(doc, sets)
    assert export.unresolved == []
    paths = manifests.write(export, tmp_path)
    secrets = [yaml.safe_load(p.read_text()) for p in paths if p.name.startswith("secret-")]
    assert secrets and all(s["stringData"]["token"] == "s3cret" for s in secrets)
    assert "kubernetes_ingress_v1" in " ".join(export.skipped)


def test_parse_sets_rejects_malformed() -> None:
    with pytest.raises(ValueError, match="NAME=VALUE"):
        manifests.parse_sets(["novalue"])


def test_escaped_dollar_is_literal_and_substitution_is_exact() -> None:
    doc = {"resource": {"kubernetes_manifest": {"m": {"manifest": {
        "kind": "ConfigMap", "metadata": {"name": "x"},
        "data": {"a": "$${keep}", "b": "q-${aws_sqs_queue.q.name}-${var.other}"},
    }}}}}
    export = manifests.collect(doc, {"aws_sqs_queue.q.name": "orders"})
    obj = export.objects[0][1]
    assert obj["data"]["a"] == "${keep}"
    assert obj["data"]["b"] == "q-orders-${var.other}"
    assert export.unresolved == [("kubernetes_manifest.m.manifest.data.b", "var.other")]


# --- graph ------------------------------------------------------------------------------


def test_graph_contains_every_source_and_event(
    reference_stacks: dict[str, tuple[Any, Any]],
) -> None:
    flows = graph.find_flows(REPO / "examples" / "flows")
    for name, (doc, _) in reference_stacks.items():
        text = graph.mermaid(doc, flows)
        assert text.startswith("flowchart LR\n"), name
        for obj in _manifest_bodies(doc):
            assert obj["metadata"]["name"] in text, (name, obj["metadata"]["name"])
            if obj["kind"] == "EventSource":
                for kind, events in obj["spec"].items():
                    if kind in ("eventBusName", "service", "template"):
                        continue
                    for event_name in events:
                        assert f"{kind}: {event_name}" in text, (name, kind, event_name)
            else:
                event = obj["metadata"]["annotations"][graph.EVENT_ANNOTATION]
                assert f"event {event}" in text, (name, event)
                for flow in flows.get(event, []):
                    assert flow in text


def test_graph_links_example_flow_to_webhook_event(
    reference_stacks: dict[str, tuple[Any, Any]],
) -> None:
    doc, _ = reference_stacks["webhook"]
    flows = graph.find_flows(REPO / "examples" / "flows")
    assert "data_updated_flow.py:DataUpdatedFlow" in flows["data.updated"]
    text = graph.mermaid(doc, flows)
    ids = {line.split("[")[0].split("{")[0].split("(")[0].strip(): line for line in
           text.splitlines() if '"' in line and "subgraph" not in line}
    event_id = next(i for i, line in ids.items() if "event data.updated" in line)
    flow_id = next(i for i, line in ids.items() if "DataUpdatedFlow" in line)
    assert f"  {event_id} --> {flow_id}" in text


def test_find_flows_reads_all_trigger_forms(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "from metaflow import FlowSpec, trigger\n"
        "@trigger(event='one')\nclass A(FlowSpec):\n    pass\n"
        "@trigger(events=['two', {'name': 'three', 'parameters': {}}])\n"
        "class B(FlowSpec):\n    pass\n"
        "@metaflow.trigger(event={'name': 'four'})\nclass C(FlowSpec):\n    pass\n"
        "@other(event='nope')\nclass D:\n    pass\n"
    )
    (tmp_path / "broken.py").write_text("def (:\n")
    found = graph.find_flows(tmp_path)
    assert found == {"one": ["a.py:A"], "two": ["a.py:B"], "three": ["a.py:B"],
                     "four": ["a.py:C"]}
