"""pytest helpers: replay a realistic payload and assert the exact Metaflow event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .engine import ReplayResult, replay


def stack_from_manifests(manifests: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A minimal ``cdk.tf.json``-shaped dict holding the given manifests."""
    resources: dict[str, Any] = {}
    for i, manifest in enumerate(manifests):
        name = str((manifest.get("metadata") or {}).get("name", "m"))
        resources[f"{str(manifest.get('kind', 'x')).lower()}_{name}_{i}"] = {
            "manifest": dict(manifest)
        }
    return {"resource": {"kubernetes_manifest": resources}}


def replay_events(
    stack: str | Path | Mapping[str, Any],
    event: bytes | str | Mapping[str, Any] | list[Any],
    *,
    source: str | None = None,
    headers: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[Any]:
    """The Metaflow events (bridge request bodies) the message produces, in order."""
    result = replay(stack, event=event, source=source, headers=headers,
                    attributes=attributes, now=now, explain=True)
    if result.failed:
        raise AssertionError(f"triggers failed: {result.failed}\n" + "\n".join(result.explain))
    return result.metaflow_events


def assert_no_trigger(
    stack: str | Path | Mapping[str, Any],
    event: bytes | str | Mapping[str, Any] | list[Any],
    *,
    source: str | None = None,
    headers: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ReplayResult:
    """Assert the message fires no trigger at all; returns the result for further checks."""
    result = replay(stack, event=event, source=source, headers=headers,
                    attributes=attributes, now=now, explain=True)
    if result.fired:
        names = [f"{f['sensor']}/{f['trigger']}" for f in result.fired]
        raise AssertionError(f"expected no trigger, but fired: {names}\n"
                             + "\n".join(result.explain))
    return result
