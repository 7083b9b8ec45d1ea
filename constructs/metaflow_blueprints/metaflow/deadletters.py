"""Dead letters: the Metaflow events a bridge could not deliver, and posting them again.

A bridge's ``dlqTrigger`` (``Bridge.dead_letter_trigger``) creates one ConfigMap per event
the webhook refused for the whole retry window::

    metadata: {generateName: mfb-dead-letter-, labels: {metaflow-blueprints/dead-letter: "true"}}
    data: {name: <event>, payload: <payload JSON>, id: <CloudEvent id, only if not in payload>}

``load`` reads them from ``kubectl get cm -l metaflow-blueprints/dead-letter=true -o json``
(or ``-o yaml``, or saved ConfigMap files); ``metaflow_event`` rebuilds exactly the body the
bridge would have posted (same ``id``, so a flow deduplicating on it sees a repeat as one).
"""

from __future__ import annotations

import json
import shlex
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from metaflow_blueprints.metaflow.bridge import (
    DEAD_LETTER_LABEL,
    EVENT_ANNOTATION,
    URL_ANNOTATION,
)

SELECTOR = f"{DEAD_LETTER_LABEL}=true"


class DeadLetterError(ValueError):
    """A document is not a dead-letter ConfigMap we can re-post."""


@dataclass(frozen=True)
class DeadLetter:
    """One dead-letter ConfigMap: where it lives and the Metaflow event it keeps."""

    name: str
    namespace: str
    event: dict[str, Any]
    webhook_url: str | None

    def delete_command(self) -> str:
        """The kubectl command that removes this dead letter once re-posted."""
        return shlex.join(["kubectl", "delete", "configmap", self.name, "-n", self.namespace])


def metaflow_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """The Metaflow event body from a dead letter's ``data`` (as the bridge posts it)."""
    name = data.get("name")
    raw = data.get("payload")
    if not isinstance(name, str) or not name or not isinstance(raw, str):
        raise DeadLetterError("data.name and data.payload (a JSON string) are required")
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise DeadLetterError(f"data.payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise DeadLetterError("data.payload must be a JSON object")
    if "id" in data:
        payload["id"] = str(data["id"])
    if "id" not in payload:
        raise DeadLetterError("the payload has no id and data.id is missing")
    return {"name": name, "payload": payload}


def from_configmap(doc: Mapping[str, Any]) -> DeadLetter:
    """Parse one ConfigMap object; raise :class:`DeadLetterError` if it is not a dead letter."""
    metadata = doc.get("metadata") or {}
    labels = metadata.get("labels") or {}
    where = str(metadata.get("name") or metadata.get("generateName") or "<unnamed>")
    if doc.get("kind") != "ConfigMap" or labels.get(DEAD_LETTER_LABEL) != "true":
        raise DeadLetterError(f"{where}: not a ConfigMap labelled {SELECTOR}")
    try:
        event = metaflow_event(doc.get("data") or {})
    except DeadLetterError as exc:
        raise DeadLetterError(f"{where}: {exc}") from None
    annotations = metadata.get("annotations") or {}
    if annotations.get(EVENT_ANNOTATION, event["name"]) != event["name"]:
        raise DeadLetterError(f"{where}: data.name differs from its {EVENT_ANNOTATION} annotation")
    return DeadLetter(
        name=where,
        namespace=str(metadata.get("namespace") or "default"),
        event=event,
        webhook_url=annotations.get(URL_ANNOTATION),
    )


def _objects(doc: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(doc, list):
        for item in doc:
            yield from _objects(item)
    elif isinstance(doc, Mapping):
        if doc.get("kind") == "List" or (doc.get("kind", "").endswith("List") and "items" in doc):
            yield from _objects(doc.get("items") or [])
        else:
            yield doc
    elif doc is not None:
        raise DeadLetterError(f"expected ConfigMap objects, got {type(doc).__name__}")


def load(text: str) -> list[DeadLetter]:
    """Dead letters from JSON or (multi-document) YAML: ConfigMaps, ``List``s or arrays."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise DeadLetterError(f"not JSON or YAML: {exc}") from None
    return [from_configmap(obj) for doc in docs for obj in _objects(doc)]


def body(letter: DeadLetter) -> bytes:
    """The request body: compact JSON like the sensor's."""
    return json.dumps(letter.event, separators=(",", ":")).encode()


def post(
    letter: DeadLetter, url: str, headers: Mapping[str, str], timeout: float = 10.0
) -> int:
    """POST the event to Metaflow's webhook; return the HTTP status (0 if unreachable)."""
    request = urllib.request.Request(
        url,
        data=body(letter),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


def curl_command(letter: DeadLetter, url: str, headers: Mapping[str, str]) -> str:
    """A curl command that posts the same event (header values are printed as given)."""
    parts = ["curl", "-sS", "--fail", "-X", "POST", url, "-H", "Content-Type: application/json"]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body(letter).decode()]
    return shlex.join(parts)
