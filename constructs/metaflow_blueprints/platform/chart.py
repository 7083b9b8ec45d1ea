"""The pinned argo-events Helm chart: version, value paths and JetStream versions.

``argo_events_chart.json`` is *derived* from the chart's ``values.yaml`` at the pinned
version and commit (see ``metaflow_blueprints.tools.chart_table``); the chart itself is not
shipped. It lets synth refuse value keys the chart does not have and JetStream versions the
controller would not find in its config, without network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from metaflow_blueprints.errors import BlueprintError


@lru_cache(maxsize=1)
def chart_table() -> dict[str, Any]:
    """The derived table (chart, repository, version, source commit, paths, versions)."""
    text = resources.files(__package__).joinpath("argo_events_chart.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


CHART_NAME: str = chart_table()["chart"]
CHART_REPOSITORY: str = chart_table()["repository"]
CHART_VERSION: str = chart_table()["version"]
#: JetStream versions the chart's controller config lists (``configs.jetstream.versions``).
JETSTREAM_VERSIONS: tuple[str, ...] = tuple(chart_table()["jetstream_versions"])


def check_values(prop: str, values: Mapping[str, Any], prefix: str = "") -> None:
    """Raise a BlueprintError for the first key path the chart's values.yaml does not have."""
    paths: dict[str, str] = chart_table()["paths"]
    for key, value in values.items():
        path = f"{prefix}{key}"
        kind = paths.get(path)
        if kind is None:
            raise BlueprintError(
                prop,
                {path: value},
                f"is not a value of the {CHART_NAME} chart {CHART_VERSION}.",
                "Check the spelling against the chart's values.yaml (keys commented out there "
                "are not accepted; use add_override on .release for those).",
            )
        if kind == "map":
            if not isinstance(value, Mapping):
                raise BlueprintError(prop, {path: value}, "must be a mapping in this chart.")
            check_values(prop, value, f"{path}.")


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings as Helm merges values files (lists and scalars are replaced)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def listed_jetstream_versions(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The versions the controller will know: an override of the list wins over the chart."""
    versions = values.get("configs", {}).get("jetstream", {}).get("versions")
    if isinstance(versions, list):
        return tuple(str(v.get("version")) for v in versions if isinstance(v, Mapping))
    return JETSTREAM_VERSIONS
