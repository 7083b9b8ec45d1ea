"""Delivery guarantees: retry window, dead letters kept in the cluster, re-posting them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from metaflow_blueprints.argo import RetryStrategy, Trigger
from metaflow_blueprints.argo.triggers import LogTrigger
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import deadletters
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.replay import replay
from stacks.__main__ import STACKS
from tests.helpers import REPO, manifests, resources, single_block, synth

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BEARER = {"Authorization": "Bearer secret-token", "Content-Type": "application/json"}
READY = json.loads((REPO / "examples" / "events" / "webhook" / "data_ready.json").read_text())

# Go's time.ParseDuration units (the subset Argo accepts in Backoff.duration strings).
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _go_duration(text: str) -> float:
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    assert parts and "".join(a + b for a, b in parts) == text, text
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)


def go_retry_window(backoff: dict[str, Any]) -> float:
    """Shortest span from first to last attempt, as argo-events v1.9.11 runs it.

    pkg/shared/util/retry.go Convert2WaitBackoff builds a k8s.io/apimachinery wait.Backoff
    (defaults: duration 1s, factor 1.0, jitter 1, steps 5; no Cap) and DoWithRetry calls
    wait.ExponentialBackoff: ``steps`` attempts; before each but the first it sleeps
    Backoff.Step() = duration (then duration *= factor) plus jitter in [0, jitter*duration).
    """
    duration = _go_duration(str(backoff.get("duration", "1s")))
    factor = float(backoff.get("factor", 1.0))
    steps = int(backoff.get("steps") or 5)
    total = 0.0
    for _ in range(steps - 1):
        total += duration
        if factor != 0:
            duration *= factor
    return total


@pytest.fixture(scope="module")
def stacks(reference_stacks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reference stacks (synthesized once per session, tests/conftest.py)."""
    return reference_stacks


def _bridge_triggers(terraform: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for sensor in manifests(terraform, "Sensor"):
        for trigger in sensor["spec"]["triggers"]:
            yield sensor["metadata"]["name"], trigger


def test_every_bridge_outlasts_an_hour_and_keeps_dead_letters(
    stacks: dict[str, dict[str, Any]],
) -> None:
    seen = 0
    for terraform in stacks.values():
        for name, trigger in _bridge_triggers(terraform):
            seen += 1
            assert trigger["atLeastOnce"] is True, name
            assert go_retry_window(trigger["retryStrategy"]) >= 3600, name
            dlq = trigger["dlqTrigger"]
            assert dlq["atLeastOnce"] is True, name
            resource = dlq["template"]["k8s"]["source"]["resource"]
            assert dlq["template"]["k8s"]["operation"] == "create"
            assert resource["kind"] == "ConfigMap"
            assert resource["metadata"]["labels"][deadletters.DEAD_LETTER_LABEL] == "true"
            assert resource["metadata"]["generateName"]
    assert seen >= len(STACKS)


def test_bridge_sensors_run_as_a_configmap_creator_only(
    stacks: dict[str, dict[str, Any]],
) -> None:
    for terraform in stacks.values():
        roles = resources(terraform, "kubernetes_role_v1")
        bindings = resources(terraform, "kubernetes_role_binding_v1")
        accounts = {
            r["metadata"]["name"] for r in resources(terraform, "kubernetes_service_account_v1")
            .values()
        }
        for sensor in manifests(terraform, "Sensor"):
            account = sensor["spec"]["template"]["serviceAccountName"]
            assert account in accounts
            (role,) = [
                r for r in roles.values() if single_block(r["metadata"])["name"] == account
            ]
            assert role["rule"] == [
                {"api_groups": [""], "resources": ["configmaps"], "verbs": ["create"]}
            ]
            assert single_block(role["metadata"])["namespace"] == sensor["metadata"]["namespace"]
            (binding,) = [b for b in bindings.values() if b["metadata"]["name"] == account]
            assert binding["role_ref"]["kind"] == "Role"
            assert binding["subject"][0]["name"] == account


def _sensitive_token(stack: Any) -> str:
    """A token as the README asks for it: a sensitive variable's value, never a literal."""
    from metaflow_blueprints.runtime import TerraformVariable

    return str(TerraformVariable(stack, "token", type="string", sensitive=True).string_value)


def test_sensor_waits_for_the_auth_secret_and_rbac() -> None:
    terraform = synth(
        lambda stack: WebhookToMetaflow(
            stack, "hook", event="data.updated", payload={"table": "table"},
            id_path="delivery_id",
            metaflow=MetaflowEvents(stack, "metaflow", namespace="metaflow",
                                    webhook_auth_token=_sensitive_token(stack)),
        )
    )
    (sensor,) = [
        r for r in resources(terraform, "kubernetes_manifest").values()
        if r["manifest"]["kind"] == "Sensor"
    ]
    depends = sensor["depends_on"]
    (secret,) = [
        logical for logical, r in resources(terraform, "kubernetes_secret_v1").items()
        if "Bearer" in json.dumps(r["data"]) or "var.token" in json.dumps(r["data"])
    ]
    assert f"kubernetes_secret_v1.{secret}" in depends, depends
    for kind in ("kubernetes_role_binding_v1", "kubernetes_role_v1",
                 "kubernetes_service_account_v1"):
        (logical,) = resources(terraform, kind)
        assert f"{kind}.{logical}" in depends


# --- configuration ------------------------------------------------------------------


def _sensor_with(**metaflow: Any) -> dict[str, Any]:
    terraform = synth(
        lambda stack: WebhookToMetaflow(
            stack, "hook", event="data.updated", payload={"table": "table"},
            id_path="delivery_id",
            metaflow=MetaflowEvents(stack, "metaflow", namespace="metaflow", **metaflow),
        )
    )
    (sensor,) = manifests(terraform, "Sensor")
    return sensor


def test_retry_window_is_configurable() -> None:
    trigger = _sensor_with(retry_window_seconds=7200)["spec"]["triggers"][0]
    assert 7200 <= go_retry_window(trigger["retryStrategy"]) < 7200 + 30
    custom = RetryStrategy(steps=13, duration="10s", factor=1.5, jitter=0.0)
    trigger = _sensor_with(retry=custom)["spec"]["triggers"][0]
    assert go_retry_window(trigger["retryStrategy"]) == pytest.approx(custom.window_seconds())
    assert custom.window_seconds() == pytest.approx(10 * (1.5**12 - 1) / 0.5)


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"retry_window_seconds": 10}, "retry_window_seconds"),
        ({"retry_window_seconds": "1h"}, "retry_window_seconds"),
        ({"retry": {"steps": 3}}, "retry"),
        ({"retry": RetryStrategy(), "retry_window_seconds": 3600}, "retry/retry_window_seconds"),
    ],
)
def test_bad_retry_configuration_is_refused(kwargs: dict[str, Any], prop: str) -> None:
    with pytest.raises(BlueprintError) as err:
        _sensor_with(**kwargs)
    assert err.value.args[0].startswith(prop) or prop in str(err.value)


def test_dlq_trigger_needs_at_least_once_on_both_levels() -> None:
    dlq = Trigger(name="dlq", action=LogTrigger())
    with pytest.raises(BlueprintError, match="at_least_once"):
        Trigger(name="main", action=LogTrigger(), at_least_once=True, dlq_trigger=dlq)
    with pytest.raises(BlueprintError, match="at_least_once"):
        Trigger(name="main", action=LogTrigger(),
                dlq_trigger=Trigger(name="dlq", action=LogTrigger(), at_least_once=True))


# --- dead letter -> repost, end to end -------------------------------------------------


class _Webhook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append((dict(self.headers), self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Handler", (_Webhook,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metaflow-event", received
    finally:
        server.shutdown()
        server.server_close()


def _kubectl_list(resource: dict[str, Any], name: str) -> dict[str, Any]:
    """What `kubectl get cm -l ... -o json` returns after the API server created it."""
    stored = json.loads(json.dumps(resource))
    stored["metadata"]["name"] = stored["metadata"].pop("generateName") + name
    return {"apiVersion": "v1", "kind": "List", "items": [stored]}


@pytest.mark.parametrize("id_path", ["delivery_id", None])
def test_dead_letter_reposted_gives_the_same_metaflow_event(
    id_path: str | None, webhook: tuple[str, list[tuple[dict[str, str], bytes]]],
    tmp_path: Path,
) -> None:
    terraform = synth(
        lambda stack: WebhookToMetaflow(
            stack, "hook", event="data.updated", payload={"table": "table"},
            id_path=id_path, auth=None,
            metaflow=MetaflowEvents(stack, "metaflow", namespace="metaflow"),
        )
    )
    delivered = replay(terraform, event=READY, now=NOW)
    (expected,) = delivered.metaflow_events
    down = replay(terraform, event=READY, now=NOW, webhook_down=True)
    assert down.metaflow_events == []
    assert [f["trigger"] for f in down.failed] == ["metaflow-bridge"]
    # The event ids match: replay derives the CloudEvent id from the request.
    (letter,) = down.dead_letters
    assert letter["kind"] == "k8s" and letter["operation"] == "create"
    configmap = letter["resource"]
    assert all(isinstance(v, str) for v in configmap["data"].values())  # ConfigMap data
    if id_path is None:
        assert configmap["data"]["id"] == down.event["context"]["id"]  # type: ignore[index]
        expected["payload"]["id"] = down.event["context"]["id"]  # type: ignore[index]

    url, received = webhook
    listing = tmp_path / "dead.json"
    listing.write_text(json.dumps(_kubectl_list(configmap, "x7k2p")))
    run = subprocess.run(
        [sys.executable, "-m", "metaflow_blueprints.cli", "repost", str(listing), "--url", url,
         "--auth-env", "MFB_TEST_AUTH"],
        capture_output=True, text=True, timeout=120, check=False,
        env={"MFB_TEST_AUTH": "Bearer s3cret", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert "kubectl delete configmap mfb-dead-letter-x7k2p -n metaflow" in run.stdout
    ((headers, body),) = received
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == expected
    if id_path is not None:
        assert json.loads(body)["payload"]["id"] == READY["delivery_id"]


def test_repost_reads_yaml_from_stdin_and_prints_curl() -> None:
    data = {"name": "data.updated", "payload": json.dumps({"id": "1", "table": "t"})}
    doc = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "mfb-dead-letter-a", "namespace": "ns",
                     "labels": {deadletters.DEAD_LETTER_LABEL: "true"},
                     "annotations": {deadletters.URL_ANNOTATION: "http://wh:12000/e"}},
        "data": data,
    }
    run = subprocess.run(
        [sys.executable, "-m", "metaflow_blueprints.cli", "repost", "--print-curl"],
        input=yaml.safe_dump(doc), capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("curl -sS --fail -X POST http://wh:12000/e ")
    assert '{"name":"data.updated","payload":{"id":"1","table":"t"}}' in run.stdout


@pytest.mark.parametrize(
    "doc",
    [
        {"kind": "ConfigMap", "metadata": {"name": "other"}, "data": {}},
        {"kind": "ConfigMap", "metadata": {"name": "x", "labels": {
            deadletters.DEAD_LETTER_LABEL: "true"}}, "data": {"name": "e", "payload": "{"}},
        {"kind": "ConfigMap", "metadata": {"name": "x", "labels": {
            deadletters.DEAD_LETTER_LABEL: "true"}}, "data": {"name": "e", "payload": "{}"}},
    ],
)
def test_repost_refuses_what_is_not_a_dead_letter(doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "cm.json"
    path.write_text(json.dumps(doc))
    run = subprocess.run(
        [sys.executable, "-m", "metaflow_blueprints.cli", "repost", str(path), "--url",
         "http://127.0.0.1:9/x"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 2 and run.stderr.startswith("error: "), run.stderr


def test_repost_fails_when_the_webhook_still_refuses(tmp_path: Path) -> None:
    doc = {"kind": "ConfigMap", "metadata": {"name": "x", "labels": {
        deadletters.DEAD_LETTER_LABEL: "true"}},
        "data": {"name": "e", "payload": '{"id": "1"}'}}
    path = tmp_path / "cm.json"
    path.write_text(json.dumps(doc))
    run = subprocess.run(
        [sys.executable, "-m", "metaflow_blueprints.cli", "repost", str(path), "--url",
         "http://127.0.0.1:9/x", "--timeout", "2"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 1 and "webhook answered nothing" in run.stderr


def test_exported_rbac_is_what_the_kubernetes_client_parses(
    stacks: dict[str, dict[str, Any]],
) -> None:
    """GitOps users get the Role/RoleBinding too; the official client models accept them."""
    from kubernetes.client import ApiClient

    from metaflow_blueprints.export import manifests as export

    client = ApiClient()

    class _Response:
        def __init__(self, obj: dict[str, Any]) -> None:
            self.data = json.dumps(obj)

    checked = 0
    for name, terraform in stacks.items():
        accounts = {s["spec"]["template"]["serviceAccountName"]
                    for s in manifests(terraform, "Sensor")}
        objects = {(o["kind"], o["metadata"].get("name")): o
                   for _, o in export.collect(terraform).objects}
        for account in accounts:
            checked += 1
            _check_rbac(client, _Response, objects, account, name)
    assert checked >= 4


def _check_rbac(client: Any, response: Any, objects: dict[tuple[str, Any], Any], account: str,
                name: str) -> None:
    role = client.deserialize(response(objects[("Role", account)]), "V1Role")
    (rule,) = role.rules
    assert (rule.api_groups, rule.resources, rule.verbs) == ([""], ["configmaps"], ["create"])
    binding = client.deserialize(response(objects[("RoleBinding", account)]), "V1RoleBinding")
    assert binding.role_ref.name == role.metadata.name, name
    assert binding.subjects[0].kind == "ServiceAccount"


# --- ordering and controller stability ------------------------------------------------


def _closure(graph: dict[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, []))
    while todo:
        item = todo.pop()
        if item not in seen:
            seen.add(item)
            todo.extend(graph.get(item, []))
    return seen


def test_every_event_source_is_created_after_its_sensors(
    stacks: dict[str, dict[str, Any]],
) -> None:
    for name, terraform in stacks.items():
        graph: dict[str, list[str]] = {}
        for type_, items in terraform["resource"].items():
            for logical, body in items.items():
                deps = [d.removeprefix("${").removesuffix("}") for d in body.get("depends_on", [])]
                if type_ == "kubernetes_manifest":
                    for dep in body.get("depends_on", []):
                        # Terraform JSON needs bare addresses: type.name, no ${...}.
                        assert re.fullmatch(r"[a-z0-9_]+\.[A-Za-z0-9_-]+", dep), (name, dep)
                for dep in deps:
                    assert dep.split(".", 1)[1] in terraform["resource"][dep.split(".")[0]], dep
                graph[f"{type_}.{logical}"] = deps
        found = resources(terraform, "kubernetes_manifest")
        sensors = {
            f"kubernetes_manifest.{k}": v["manifest"] for k, v in found.items()
            if v["manifest"]["kind"] == "Sensor"
        }
        for logical, body in found.items():
            source = body["manifest"]
            if source["kind"] != "EventSource":
                continue
            consumers = {
                address for address, sensor in sensors.items()
                if any(d["eventSourceName"] == source["metadata"]["name"]
                       for d in sensor["spec"]["dependencies"])
            }
            assert consumers, (name, logical)
            assert consumers <= _closure(graph, f"kubernetes_manifest.{logical}"), (name, logical)


def test_every_manifest_forces_conflicts_and_sensors_wait_for_deployed(
    stacks: dict[str, dict[str, Any]],
) -> None:
    for terraform in stacks.values():
        for logical, body in resources(terraform, "kubernetes_manifest").items():
            assert body["field_manager"] == {"force_conflicts": True}, logical
            assert "metadata.finalizers" in body["computed_fields"], logical
            if body["manifest"]["kind"] == "Sensor":
                assert body["wait"] == {"condition": [{"status": "True", "type": "Deployed"}]}
