"""A Mermaid flowchart of a stack's event path.

source -> cloud plumbing -> EventSource -> bridge Sensor -> Metaflow event -> flows, one
lane per blueprint (resources grouped by the construct path cdktf records). Subscribing flows
come from ``@trigger(event=...)`` / ``@trigger(events=[...])`` found with ``ast`` in a
``--flows`` directory; the flow files are parsed, never imported.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metaflow_blueprints.export.hcl import _expression_end
from metaflow_blueprints.export.stackdir import construct_path, resources

#: Sensor annotation carrying the Metaflow event name (set by the bridge).
EVENT_ANNOTATION = "metaflow-blueprints/metaflow-event"
_NOT_SOURCES = frozenset({"eventBusName", "service", "template", "replicas", "nodeSelector"})


@dataclass
class Lane:
    """One blueprint's part of the picture."""

    group: str
    sources: list[str] = field(default_factory=list)
    plumbing: list[str] = field(default_factory=list)
    event_sources: list[str] = field(default_factory=list)
    sensors: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


def find_flows(directory: Path) -> dict[str, list[str]]:
    """Metaflow event name -> ``file.py:FlowClass`` of flows that ``@trigger`` on it."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(directory.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for event in _trigger_events(node.decorator_list):
                    found[event].append(f"{path.relative_to(directory)}:{node.name}")
    return dict(found)


def _trigger_events(decorators: Iterable[ast.expr]) -> list[str]:
    events: list[str] = []
    for deco in decorators:
        if not isinstance(deco, ast.Call):
            continue
        func = deco.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name != "trigger":
            continue
        for keyword in deco.keywords:
            if keyword.arg == "event":
                events += _event_names([keyword.value])
            elif keyword.arg == "events" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                events += _event_names(keyword.value.elts)
    return events


def _event_names(nodes: Iterable[ast.expr]) -> list[str]:
    names = []
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.append(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "name"
                    and isinstance(value, ast.Constant)
                ):
                    names.append(str(value.value))
    return names


def lanes(doc: Mapping[str, Any]) -> list[Lane]:
    """Group the stack's resources into one lane per blueprint construct."""
    by_group: dict[str, Lane] = {}
    for type_, name, body in resources(dict(doc)):
        path = construct_path(body)
        group = path[1] if len(path) > 1 else name
        lane = by_group.setdefault(group, Lane(group))
        if type_ == "kubernetes_manifest":
            manifest = body.get("manifest", {})
            kind = manifest.get("kind")
            obj_name = manifest.get("metadata", {}).get("name", name)
            if kind == "EventSource":
                lane.event_sources.append(obj_name)
                lane.sources += _sources(manifest.get("spec", {}))
            elif kind == "Sensor":
                lane.sensors.append(obj_name)
                event = manifest.get("metadata", {}).get("annotations", {}).get(EVENT_ANNOTATION)
                if event:
                    lane.events.append(event)
        elif not type_.startswith(("kubernetes_", "random_")):
            lane.plumbing.append(f"{type_}.{name}")
    return [lane for lane in by_group.values() if lane.event_sources or lane.sensors]


def _sources(spec: Mapping[str, Any]) -> list[str]:
    out = []
    for kind, events in spec.items():
        if kind in _NOT_SOURCES or not isinstance(events, Mapping):
            continue
        for event_name, config in events.items():
            detail = ""
            if isinstance(config, Mapping):
                detail = str(
                    config.get("endpoint") or config.get("queue") or config.get("topic")
                    or config.get("subscriptionID") or ""
                )
            out.append(f"{kind}: {event_name}" + (f" {detail}" if detail else ""))
    return out


def mermaid(doc: Mapping[str, Any], flows: Mapping[str, list[str]] | None = None) -> str:
    """The flowchart text (``flowchart LR``)."""
    ids: dict[str, str] = {}

    def node(key: str, label: str, shape: str = "[]") -> str:
        if key not in ids:
            ids[key] = f"n{len(ids) + 1}"
            text = _hide_expressions(label).replace('"', "#quot;")
            half = len(shape) // 2
            lines.append(f'  {ids[key]}{shape[:half]}"{text}"{shape[half:]}')
        return ids[key]

    lines = ["flowchart LR"]
    edges: list[str] = []
    for lane in lanes(doc):
        lines.append(f'  subgraph {_safe(lane.group)}["{lane.group}"]')
        sources = [node(f"src:{lane.group}:{s}", s, "([])") for s in lane.sources]
        plumbing = (
            [node(f"plumbing:{lane.group}", _plumbing_label(lane.plumbing), "[]")]
            if lane.plumbing
            else []
        )
        esrcs = [node(f"es:{e}", f"EventSource {e}") for e in lane.event_sources]
        sensors = [node(f"sensor:{s}", f"Sensor {s}") for s in lane.sensors]
        lines.append("  end")
        upstream = sources
        for stage in (plumbing, esrcs, sensors):
            if stage:
                edges += [f"  {a} --> {b}" for a in upstream for b in stage]
                upstream = stage
        for event in lane.events:
            event_id = node(f"event:{event}", f"event {event}", "{{}}")
            edges += [f"  {s} --> {event_id}" for s in sensors]
            for flow in (flows or {}).get(event, []):
                edges.append(f"  {event_id} --> {node(f'flow:{flow}', flow, '[[]]')}")
    return "\n".join(lines + edges) + "\n"


def _hide_expressions(text: str) -> str:
    """Replace Terraform expressions (``${...}``, e.g. a secret path) with ``…``."""
    while (start := text.find("${")) >= 0:
        text = text[:start] + "…" + text[_expression_end(text, start + 2):]
    return text


def _plumbing_label(addresses: list[str]) -> str:
    """Resource types with counts, e.g. ``aws_sqs_queue x2``, one per line."""
    counts: dict[str, int] = defaultdict(int)
    for address in addresses:
        counts[address.split(".", 1)[0]] += 1
    return "<br/>".join(f"{t} x{n}" if n > 1 else t for t, n in sorted(counts.items()))


def _safe(text: str) -> str:
    return "g_" + "".join(c if c.isalnum() else "_" for c in text)
