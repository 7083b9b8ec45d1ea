"""Read Argo Events manifests out of a synthesized cdktf stack (JSON or HCL synth dir)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..export.stackdir import stack_json
from .errors import ReplayError
from .sources import SOURCE_TYPES

ALL_SOURCE_KEYS = (
    "webhook", "sqs", "pubSub", "sns", "github", "gitlab", "minio", "calendar", "kafka",
    "amqp", "nats", "file", "resource", "slack", "storageGrid", "azureEventsHub", "generic",
    "bitbucket", "bitbucketserver", "gerrit", "stripe", "emitter", "hdfs", "mqtt", "nsq",
    "pulsar", "redis", "redisStream", "azureQueueStorage", "azureServiceBus", "sftp",
)


@dataclass(frozen=True)
class SourceEntry:
    """One ``spec.<type>.<eventName>`` of an EventSource."""

    eventsource: Mapping[str, Any]
    type_key: str
    event_name: str
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return f"{self.eventsource.get('metadata', {}).get('name', '')}/{self.event_name}"


def load(stack: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    """Parse the stack: a stack directory, a ``cdk.tf.json`` path, or an already-parsed dict."""
    if isinstance(stack, Mapping):
        return stack
    path = stack_json(Path(stack))
    if not path.is_file():
        raise ReplayError(f"no synthesized stack at {path} (expected cdktf.out/stacks/<name>)")
    try:
        parsed = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReplayError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ReplayError(f"{path} is not a Terraform JSON object")
    return parsed


def manifests(stack: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The ``kubernetes_manifest`` manifests of the given Argo Events kind."""
    found: list[Mapping[str, Any]] = []
    resources = (stack.get("resource") or {}).get("kubernetes_manifest") or {}
    for res in resources.values():
        manifest = res.get("manifest") if isinstance(res, Mapping) else None
        if (
            isinstance(manifest, Mapping)
            and manifest.get("kind") == kind
            and str(manifest.get("apiVersion", "")).startswith("argoproj.io/")
        ):
            found.append(manifest)
    return found


def source_entries(stack: Mapping[str, Any]) -> list[SourceEntry]:
    entries: list[SourceEntry] = []
    for es in manifests(stack, "EventSource"):
        spec = es.get("spec") or {}
        for type_key in ALL_SOURCE_KEYS:
            for event_name, entry in (spec.get(type_key) or {}).items():
                entries.append(SourceEntry(es, type_key, str(event_name), entry or {}))
    return entries


def pick_source(stack: Mapping[str, Any], source: str | None) -> SourceEntry:
    entries = source_entries(stack)
    names = ", ".join(sorted(e.name for e in entries)) or "none"
    if source is None:
        if len(entries) == 1:
            return entries[0]
        raise ReplayError(f"the stack has {len(entries)} events; choose one with "
                          f"--source EVENTSOURCE/EVENTNAME (available: {names})")
    matches = [e for e in entries if e.name == source]
    if not matches:
        raise ReplayError(f"unknown source {source!r} (available: {names})")
    entry = matches[0]
    if entry.type_key not in SOURCE_TYPES:
        from .errors import UnsupportedConstruct

        raise UnsupportedConstruct(f"event source type {entry.type_key!r}", entry.name)
    return entry
