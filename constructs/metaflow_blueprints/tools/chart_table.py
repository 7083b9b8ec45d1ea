"""Derive the table of a Helm chart's value paths (``platform/argo_events_chart.json``).

The chart itself is not shipped (nothing fetched from upstream is committed); this derived
table is: every key path of the chart's ``values.yaml`` with its kind:

* ``map``: a mapping with documented keys (only those keys are accepted below it);
* ``open``: an empty mapping (``{}``) or a list: free-form, anything below is accepted;
* ``leaf``: a scalar.

Regenerate after bumping the chart::

    python -m metaflow_blueprints.tools.chart_table values.yaml 2.4.22 <commit> > table.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import yaml


def value_paths(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Map every dotted key path of ``values`` to ``map``, ``open`` or ``leaf``."""
    out: dict[str, str] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out[path] = "map"
            out.update(value_paths(value, f"{path}."))
        elif isinstance(value, (Mapping, list)):
            out[path] = "open"
        else:
            out[path] = "leaf"
    return out


def jetstream_versions(values: Mapping[str, Any]) -> list[str]:
    """The ``configs.jetstream.versions[].version`` list of the chart."""
    versions = values.get("configs", {}).get("jetstream", {}).get("versions", [])
    return [str(v["version"]) for v in versions]


def derive(values_yaml: str, chart_version: str, commit: str) -> dict[str, Any]:
    values = yaml.safe_load(values_yaml)
    return {
        "chart": "argo-events",
        "repository": "https://argoproj.github.io/argo-helm",
        "version": chart_version,
        "source": {"repo": "argoproj/argo-helm", "commit": commit,
                   "path": "charts/argo-events/values.yaml"},
        "paths": value_paths(values),
        "jetstream_versions": jetstream_versions(values),
    }


if __name__ == "__main__":  # pragma: no cover - maintenance script
    from pathlib import Path

    text = Path(sys.argv[1]).read_text()
    print(json.dumps(derive(text, sys.argv[2], sys.argv[3]), indent=1, sort_keys=False))
