"""The reference app with its platform stack: deploy order, adoption, and the event path
bridge -> platform webhook (with its auth) -> Metaflow's own compiled sensor -> Workflow."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.platform import ArgoEventsPlatform, MetaflowEventsSetup
from metaflow_blueprints.replay import replay
from metaflow_blueprints.replay.testing import stack_from_manifests
from metaflow_blueprints.runtime import App, TerraformStack, provider_module, synth_stack
from metaflow_blueprints.synth import synth_app
from metaflow_blueprints.tools.schema import argo_manifests
from stacks.__main__ import STACKS, build
from tests.helpers import resources
from tests.platform.test_platform_constructs import _compiled_sensor

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def outdir(reference_out: Path) -> Path:
    """The reference app's cdktf.out (synthesized once per session, tests/conftest.py)."""
    return reference_out


def test_manifest_orders_platform_first(outdir: Path) -> None:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = manifest["stacks"]
    assert set(stacks) == set(STACKS)
    assert stacks["platform"]["dependencies"] == []
    for name in set(STACKS) - {"platform"}:
        assert stacks[name]["dependencies"] == ["platform"], name
    # the order `cdktf deploy '*'` follows: a topological order of these dependencies
    order = list(TopologicalSorter(
        {name: entry["dependencies"] for name, entry in stacks.items()}).static_order())
    assert order[0] == "platform"
    # the objects chart was written next to the stack, where the helm provider reads it
    platform = json.loads((outdir / stacks["platform"]["synthesizedStackPath"]).read_text())
    (objects,) = [r for r in resources(platform, "helm_release").values()
                  if r["chart"].startswith("assets/")]
    chart = outdir / "stacks" / "platform" / objects["chart"]
    assert (chart / "Chart.yaml").is_file() and (chart / "templates" / "objects.yaml").is_file()


def test_reference_bridges_send_the_platforms_auth(outdir: Path) -> None:
    platform = json.loads((outdir / "stacks" / "platform" / "cdk.tf.json").read_text())
    (secret,) = resources(platform, "kubernetes_secret_v1").values()
    webhook = json.loads((outdir / "stacks" / "webhook" / "cdk.tf.json").read_text())
    sensors = [m for _, m in argo_manifests(webhook) if m["kind"] == "Sensor"]
    assert sensors
    for sensor in sensors:
        for trigger in sensor["spec"]["triggers"]:
            headers = trigger["template"]["http"]["secureHeaders"]
            assert {"name": "Authorization", "valueFrom": {"secretKeyRef": {
                "name": secret["metadata"]["name"], "key": "authorization"}}} in headers


def test_adopting_an_existing_install_skips_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"platform": {"enabled": False}}))
    monkeypatch.setenv("MFB_SETTINGS", str(settings))
    out = tmp_path / "out"
    synth_app(build(str(out)))
    stacks = json.loads((out / "manifest.json").read_text())["stacks"]
    assert "platform" not in stacks
    assert all(entry["dependencies"] == [] for entry in stacks.values())


# --- Metaflow's compiled sensor accepts what the bridges post with the platform's auth -----


def _app(bus: str) -> tuple[dict[str, Any], dict[str, Any], MetaflowEventsSetup]:
    app = App()
    base = TerraformStack(app, "platform")
    provider_module("kubernetes", "provider").KubernetesProvider(base, "kubernetes")
    provider_module("helm", "provider").HelmProvider(base, "helm")
    provider_module("random", "provider").RandomProvider(base, "random")
    argo = ArgoEventsPlatform(base, "argo_events", namespace="mf-events")
    setup = MetaflowEventsSetup(base, "metaflow", platform=argo, event_bus=bus)
    events = TerraformStack(app, "events")
    provider_module("kubernetes", "provider").KubernetesProvider(events, "kubernetes")
    provider_module("random", "provider").RandomProvider(events, "random")
    metaflow = MetaflowEvents.from_platform(events, "metaflow", setup)
    WebhookToMetaflow(events, "hook", metaflow=metaflow, event="data.updated",
                      payload={"table": "table", "partition": "partition"})
    assert events.dependencies == [base]
    return synth_stack(base), synth_stack(events), setup


def _secret_value(platform: dict[str, Any], ref: dict[str, str], token: str) -> str:
    """A Secret key's value once Terraform has generated the random token."""
    (secret,) = [s for s in resources(platform, "kubernetes_secret_v1").values()
                 if s["metadata"]["name"] == ref["name"]]
    generated = r"\$\{random_password\.[A-Za-z0-9_]+\.result\}"
    return re.sub(generated, token, secret["data"][ref["key"]])


def test_metaflow_sensor_accepts_bridge_posts_with_platform_auth() -> None:
    platform, events, setup = _app("metaflow-bus")
    objects = {m["kind"]: m for _, m in argo_manifests(platform)}
    webhook = objects["EventSource"]
    sensor = _compiled_sensor("mf-events", "metaflow-bus")
    # Metaflow's configuration and the platform agree: namespace, bus, source, event
    assert sensor["metadata"]["namespace"] == webhook["metadata"]["namespace"] == "mf-events"
    assert sensor["spec"]["eventBusName"] == webhook["spec"]["eventBusName"] == "metaflow-bus"
    assert objects["EventBus"]["metadata"]["name"] == "metaflow-bus"
    (dependency,) = sensor["spec"]["dependencies"]
    assert dependency["eventSourceName"] == webhook["metadata"]["name"]
    assert dependency["eventName"] in webhook["spec"]["webhook"]

    # the bridge's POST (from the blueprint stack), with the header it would send
    body = {"table": "analytics.orders", "partition": "2026-01-01"}
    result = replay(events, event=body, headers={"Authorization": "Bearer caller"}, now=NOW)
    (fired,) = result.fired
    assert fired["url"] == setup.webhook_url
    assert fired["url"].startswith("http://argo-events-webhook-eventsource-svc.mf-events:12000/")
    header_ref = fired["headers"]["Authorization"]["secretKeyRef"]
    token = "generated-48-character-token"
    sent = _secret_value(platform, header_ref, token)
    expected = _secret_value(
        platform, webhook["spec"]["webhook"]["metaflow-event"]["authSecret"], token)
    # Argo's webhook (pkg/eventsources/common/webhook/webhook.go): the header must start
    # with "Bearer " and the rest must equal the authSecret's value.
    assert sent.startswith("Bearer ") and sent.removeprefix("Bearer ") == expected

    metaflow_side = stack_from_manifests([_drop_nulls(webhook), _drop_nulls(sensor)])
    accepted = replay(metaflow_side, event=fired["metaflow_event"],
                      headers={"Authorization": sent}, now=NOW)
    (workflow,) = accepted.fired
    parameters = {p["name"]: p["value"]
                  for p in workflow["resource"]["spec"]["arguments"]["parameters"]}
    assert parameters["table"] == '"analytics.orders"'
    assert workflow["resource"]["metadata"]["namespace"] == "mf-events"
    rejected = replay(metaflow_side, event=fired["metaflow_event"], now=NOW)
    assert rejected.fired == [] and rejected.dropped is not None
    assert rejected.dropped.startswith("401")


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def test_from_platform_in_the_same_stack_adds_no_dependency() -> None:
    stack = TerraformStack(App(), "one")
    setup = MetaflowEventsSetup(stack, "m", namespace="metaflow")
    metaflow = MetaflowEvents.from_platform(stack, "metaflow", setup)
    assert stack.dependencies == []
    assert metaflow.target.auth_header == setup.auth_header


def test_readme_deploy_everything_snippet() -> None:
    from metaflow_blueprints import ArgoEventsPlatform as Platform
    from metaflow_blueprints import MetaflowEventsSetup as Setup

    app = App()
    platform_stack, events_stack = TerraformStack(app, "platform"), TerraformStack(app, "events")
    argo = Platform(platform_stack, "argo_events", namespace="metaflow")
    setup = Setup(platform_stack, "metaflow", platform=argo)
    metaflow = MetaflowEvents.from_platform(events_stack, "metaflow", setup)
    assert events_stack.dependencies == [platform_stack]
    assert metaflow.target.webhook_url == (
        "http://argo-events-webhook-eventsource-svc.metaflow:12000/metaflow-event")
    assert metaflow.target.auth_header == setup.auth_header is not None


def test_manifest_export_gives_the_platform_objects_for_gitops(outdir: Path) -> None:
    from metaflow_blueprints.export import manifests

    platform = json.loads((outdir / "stacks" / "platform" / "cdk.tf.json").read_text())
    export = manifests.collect(platform)
    kinds = sorted(obj["kind"] for _, obj in export.objects)
    # Role/RoleBinding (operate-workflow-sa) are exported too since the bridges' RBAC is.
    assert kinds == ["EventBus", "EventSource", "Role", "RoleBinding", "Secret", "ServiceAccount"]
    skipped = " ".join(export.skipped)
    assert "helm_release." in skipped and "kubernetes_role_v1." not in skipped
