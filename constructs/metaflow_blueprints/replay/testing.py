"""pytest helpers: replay a realistic payload and assert the exact Metaflow event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from .engine import Delivery, MessageInput, ReplayResult, StackInput, replay


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
    stack: StackInput, event: MessageInput, **delivery: Unpack[Delivery]
) -> list[Any]:
    """The Metaflow events (bridge request bodies) the message produces, in order."""
    result = replay(stack, event=event, explain=True, **delivery)
    if result.failed:
        raise AssertionError(f"triggers failed: {result.failed}\n" + "\n".join(result.explain))
    return result.metaflow_events


def assert_no_trigger(
    stack: StackInput, event: MessageInput, **delivery: Unpack[Delivery]
) -> ReplayResult:
    """Assert the message fires no trigger at all; returns the result for further checks."""
    result = replay(stack, event=event, explain=True, **delivery)
    if result.fired:
        names = [f"{f['sensor']}/{f['trigger']}" for f in result.fired]
        raise AssertionError(f"expected no trigger, but fired: {names}\n"
                             + "\n".join(result.explain))
    return result
