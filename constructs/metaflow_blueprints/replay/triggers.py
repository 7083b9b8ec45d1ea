"""Render what a fired trigger would do: the http request, k8s resource, or log line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import gojson
from .errors import EvalError
from .events import Event
from .params import apply_params, construct_payload, resolve

MANAGED_BY = "metaflow-blueprints"
BRIDGE_TRIGGER = "metaflow-bridge"
_TEMPLATE_META = ("name", "conditions", "conditionsReset")


def is_bridge(sensor: Mapping[str, Any], template: Mapping[str, Any]) -> bool:
    labels = (sensor.get("metadata") or {}).get("labels") or {}
    return (
        labels.get("app.kubernetes.io/managed-by") == MANAGED_BY
        and template.get("name") == BRIDGE_TRIGGER
        and "http" in template
    )


def render(sensor: Mapping[str, Any], trigger: Mapping[str, Any],
           events: dict[str, Event]) -> dict[str, Any]:
    """The JSON-able description of the trigger's action; raises EvalError if it fails."""
    template: Any = dict(trigger.get("template") or {})
    if trigger.get("parameters"):
        template = apply_params(template, list(trigger["parameters"]), events)
    kinds = [k for k in template if k not in _TEMPLATE_META]
    kind = kinds[0] if kinds else "unknown"
    out: dict[str, Any] = {
        "sensor": str((sensor.get("metadata") or {}).get("name", "")),
        "trigger": str(template.get("name", "")),
        "kind": kind,
        "dependencies": sorted(events),
        "event_ids": [events[d].id for d in sorted(events)],
    }
    if kind == "http":
        out.update(_http(template["http"] or {}, events))
        if is_bridge(sensor, template) and "body" in out:
            out["metaflow_event"] = out["body"]
    elif kind in ("k8s", "argoWorkflow"):
        out.update(_resource(template[kind] or {}, events))
    elif kind == "log":
        out["intervalSeconds"] = (template["log"] or {}).get("intervalSeconds")
    else:
        out["template"] = gojson.plain(template[kind]) if kind in template else None
        out["note"] = f"{kind} triggers are not rendered by replay; the decision to fire is"
    return out


def _http(spec: Mapping[str, Any], events: dict[str, Event]) -> dict[str, Any]:
    http: Any = dict(spec)
    if http.get("parameters"):
        http = apply_params(http, list(http["parameters"]), events)
    headers: dict[str, Any] = {str(k): str(v) for k, v in (http.get("headers") or {}).items()}
    for secure in http.get("secureHeaders") or []:
        headers[str(secure.get("name", ""))] = gojson.plain(secure.get("valueFrom") or {})
    for dyn in http.get("dynamicHeaders") or []:
        value, _ = resolve(dyn.get("src") or {}, events)
        if value is None:
            raise EvalError(f"dynamic header {dyn.get('dest')!r} has no value")
        headers[str(dyn.get("dest", ""))] = value
    out: dict[str, Any] = {
        "url": http.get("url"),
        "method": str(http.get("method") or "POST"),
        "headers": headers,
    }
    if http.get("basicAuth"):
        out["basicAuth"] = gojson.plain(http["basicAuth"])
    payload = construct_payload(list(http.get("payload") or []), events)
    out["body_text"] = payload
    if payload is None:
        out["body"] = None
    else:
        try:
            out["body"] = gojson.plain(gojson.loads(payload))
        except ValueError:
            out["body"] = payload
    return out


def _resource(spec: Mapping[str, Any], events: dict[str, Event]) -> dict[str, Any]:
    source = spec.get("source") or {}
    params = list(spec.get("parameters") or [])
    out: dict[str, Any] = {"operation": spec.get("operation") or "create"}
    if "resource" in source:
        resource = apply_params(source["resource"], params, events)
        out["resource"] = gojson.plain(resource)
    else:
        out["resource"] = None
        out["source"] = json.loads(json.dumps(gojson.plain(source)))
        out["note"] = "the resource is fetched at trigger time (not a literal resource)"
    return out
