"""Shared builders for replay tests: hand-written stacks shaped like the generator's output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from metaflow_blueprints.replay.testing import stack_from_manifests

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"
EXAMPLES = SHARED / "argo-events" / "examples"

BRIDGE_JQ = r"""
def key_of: getpath(["body", "ref"]) // "" | sub("^refs/heads/"; "");
. + {metaflow: {
  name: "github.push",
  id: (.body.after // "none"),
  timestamp: (now | floor),
  utc_date: (now | strftime("%Y%m%d")),
  branch: key_of,
  commits: (.body.commits | length | tostring),
  repo: (.body.repository.full_name | ascii_downcase)
}}
"""


def bridge_trigger(extra_payload: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    payload = [
        {"src": {"dependencyName": "d", "value": "data.updated"}, "dest": "name"},
        {"src": {"dependencyName": "d", "dataKey": "metaflow", "useRawData": True},
         "dest": "payload"},
    ] + (extra_payload or [])
    return {
        "template": {
            "name": "metaflow-bridge",
            "http": {
                "url": "http://argo-events-webhook-eventsource-svc.default:12000/metaflow-event",
                "method": "POST",
                "headers": {"Content-Type": "application/json"},
                "secureHeaders": [{"name": "Authorization", "valueFrom": {"secretKeyRef": {
                    "name": "metaflow-webhook-auth", "key": "header"}}}],
                "timeout": 10,
                "payload": payload,
            },
        },
        "atLeastOnce": True,
        "retryStrategy": {"steps": 5, "duration": "2s", "factor": 2, "jitter": 0.2},
        "policy": {"status": {"allow": [200]}},
    }


def bridge_sensor(name: str, es: str, ev: str, jq: str, filters: dict[str, Any] | None = None,
                  extra_payload: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    dep: dict[str, Any] = {"name": "d", "eventSourceName": es, "eventName": ev,
                           "transform": {"jq": jq}}
    if filters:
        dep["filters"] = filters
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Sensor",
        "metadata": {"name": name, "namespace": "default",
                     "labels": {"app.kubernetes.io/managed-by": "metaflow-blueprints"}},
        "spec": {"dependencies": [dep], "triggers": [bridge_trigger(extra_payload)]},
    }


def webhook_eventsource(auth: bool = True) -> dict[str, Any]:
    hook: dict[str, Any] = {"port": "12000", "endpoint": "/github", "method": "POST"}
    if auth:
        hook["authSecret"] = {"name": "${var.webhook_secret_name}", "key": "token"}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "EventSource",
            "metadata": {"name": "github-push", "namespace": "default"},
            "spec": {"webhook": {"push": hook}}}


def make_webhook_stack() -> dict[str, Any]:
    filters = {
        "exprs": [{"expr": "true == true", "fields": [{"name": "f", "path": "body.after"}]}],
        "data": [{"path": "body.ref", "type": "string", "value": ["^refs/heads/main$"]}],
    }
    return stack_from_manifests([
        webhook_eventsource(),
        bridge_sensor("github-push-to-flow", "github-push", "push", BRIDGE_JQ, filters,
                      [{"src": {"dependencyName": "d", "contextKey": "id"},
                        "dest": "payload.event_id"}]),
    ])


SQS_JQ = r"""
def decode_key: gsub("\\+"; " ");
. + {metaflow: {
  name: "s3.object.created",
  key: (.body.Records[0].s3.object.key | decode_key),
  bucket: .body.Records[0].s3.bucket.name,
  size: .body.Records[0].s3.object.size,
  timestamp: (.body.Records[0].eventTime | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)
}}
"""


def sqs_eventsource(json_body: bool = True) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "EventSource",
            "metadata": {"name": "aws-sqs"},
            "spec": {"sqs": {"uploads": {"queue": "${aws_sqs_queue.q.name}",
                                          "region": "us-east-1", "waitTimeSeconds": 20,
                                          "jsonBody": json_body}}}}


def make_sqs_stack() -> dict[str, Any]:
    filters = {"data": [
        {"path": "body.Records.0.eventName", "type": "string", "value": ["^ObjectCreated:"]},
        {"path": "body.Records.0.s3.object.size", "type": "number", "comparator": ">",
         "value": ["0"]},
    ]}
    return stack_from_manifests([
        sqs_eventsource(),
        bridge_sensor("s3-upload-to-flow", "aws-sqs", "uploads", SQS_JQ, filters),
    ])


def make_load_yaml() -> Callable[[Path], list[dict[str, Any]]]:
    def _load(path: Path) -> list[dict[str, Any]]:
        return [d for d in yaml.safe_load_all(path.read_text()) if d]
    return _load


def shared_or_skip() -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"upstream examples not found at {EXAMPLES} (the repo's sibling shared/)")
    return EXAMPLES
