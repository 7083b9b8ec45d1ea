"""ArgoEventsPlatform and MetaflowEventsSetup: values, schema, RBAC, bad input, checkov."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.platform import ArgoEventsPlatform, MetaflowEventsSetup, Persistence
from metaflow_blueprints.platform.chart import (
    CHART_VERSION,
    JETSTREAM_VERSIONS,
    chart_table,
    check_values,
)
from metaflow_blueprints.runtime import App, TerraformStack, provider_module, synth_stack
from metaflow_blueprints.tools.chart_table import derive
from metaflow_blueprints.tools.schema import argo_manifests
from tests.helpers import REPO, checkov_failures, resources, single_block


def _stack() -> TerraformStack:
    stack = TerraformStack(App(), "platform")
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "kubernetes")
    provider_module("helm", "provider").HelmProvider(stack, "helm")
    provider_module("random", "provider").RandomProvider(stack, "random")
    return stack


def _platform(
    platform: dict[str, Any] | None = None, setup: dict[str, Any] | None = None
) -> tuple[TerraformStack, ArgoEventsPlatform, MetaflowEventsSetup]:
    stack = _stack()
    argo = ArgoEventsPlatform(stack, "argo_events", **{"namespace": "metaflow", **(platform or {})})
    mf = MetaflowEventsSetup(stack, "metaflow", platform=argo, **(setup or {}))
    return stack, argo, mf


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    return synth_stack(_platform()[0])


def _release(terraform: dict[str, Any], name: str) -> dict[str, Any]:
    (release,) = [r for r in resources(terraform, "helm_release").values() if r["name"] == name]
    return release


def _objects(terraform: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for _, m in argo_manifests(terraform)}


# --- the argo-events chart ------------------------------------------------------------


def _flat_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in values.items():
        out.append(f"{prefix}{key}")
        if isinstance(value, dict):
            out += _flat_paths(value, f"{prefix}{key}.")
    return out


def test_release_is_the_pinned_chart_with_secure_values(terraform: dict[str, Any]) -> None:
    release = _release(terraform, "argo-events")
    assert (release["chart"], release["version"]) == ("argo-events", CHART_VERSION)
    assert release["repository"] == chart_table()["repository"]
    assert release["namespace"] == "metaflow"
    values = json.loads(release["values"][0])
    assert values["crds"] == {"install": True, "keep": True}
    assert values["controller"]["rbac"] == {"enabled": True, "namespaced": True}
    assert values["global"]["securityContext"]["runAsNonRoot"] is True
    container = values["controller"]["containerSecurityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert set(values["controller"]["resources"]["requests"]) == {"cpu", "memory"}
    assert values["webhook"]["enabled"] is False
    assert release["depends_on"] == [
        f"kubernetes_namespace_v1.{next(iter(resources(terraform, 'kubernetes_namespace_v1')))}"
    ]


def test_every_value_we_set_is_a_key_of_the_chart(terraform: dict[str, Any]) -> None:
    """Each key path in the synthesized values is in the table derived from values.yaml."""
    paths = chart_table()["paths"]
    values = json.loads(_release(terraform, "argo-events")["values"][0])
    for path in _flat_paths(values):
        parent_open = any(
            paths.get(path[: i]) == "open" for i in range(len(path)) if path[i] == "."
        )
        assert path in paths or parent_open, path
    check_values("values", values)  # and the construct's own checker agrees


def test_table_names_its_source_and_matches_the_release_version() -> None:
    table = chart_table()
    assert table["version"] == CHART_VERSION == "2.4.22"
    assert len(table["source"]["commit"]) == 40
    assert table["paths"]["controller.rbac.namespaced"] == "leaf"
    assert table["paths"]["controller.resources"] == "open"
    assert "2.10.10" in JETSTREAM_VERSIONS


@pytest.mark.skipif(
    not os.environ.get("MFB_ARGO_EVENTS_VALUES"),
    reason="set MFB_ARGO_EVENTS_VALUES to the chart's values.yaml (2.4.22) to re-derive the table",
)
def test_table_is_derived_from_the_real_values_yaml() -> None:
    text = Path(os.environ["MFB_ARGO_EVENTS_VALUES"]).read_text()
    table = chart_table()
    derived = derive(text, table["version"], table["source"]["commit"])
    assert derived == table


def test_user_values_are_merged_and_checked() -> None:
    stack, _argo, _ = _platform(platform={"values": {"controller": {"replicas": 2}}})
    values = json.loads(_release(synth_stack(stack), "argo-events")["values"][0])
    assert values["controller"]["replicas"] == 2
    assert values["controller"]["rbac"]["namespaced"] is True  # deep merge keeps ours


def test_cluster_wide_option() -> None:
    stack, _argo, _ = _platform(platform={"namespaced": False})
    values = json.loads(_release(synth_stack(stack), "argo-events")["values"][0])
    assert values["controller"]["rbac"]["namespaced"] is False


# --- bad input: BlueprintError naming prop and value, nothing created -------------------


def _assert_refused(build: Any, prop: str, shown: str) -> None:
    stack = _stack()
    before = len(stack.node.find_all())
    with pytest.raises(BlueprintError) as info:
        build(stack)
    assert info.value.field == prop
    assert shown in str(info.value)
    # only the failed construct's own (empty) node was added: no Terraform resource
    synthesized = synth_stack(stack)
    assert "resource" not in synthesized, synthesized.get("resource")
    assert len(stack.node.find_all()) <= before + 2


@pytest.mark.parametrize(
    "values, shown",
    [
        ({"controler": {"replicas": 1}}, "controler"),
        ({"controller": {"rbac": {"clusterWide": True}}}, "controller.rbac.clusterWide"),
        ({"crds": {"install": True, "kept": True}}, "crds.kept"),
    ],
)
def test_unknown_chart_value_keys_are_refused(values: dict[str, Any], shown: str) -> None:
    _assert_refused(
        lambda s: ArgoEventsPlatform(s, "argo_events", values=values), "values", shown
    )


def test_crds_keep_false_is_refused() -> None:
    _assert_refused(
        lambda s: ArgoEventsPlatform(s, "a", values={"crds": {"keep": False}}), "values", "keep"
    )


@pytest.mark.parametrize("namespace", ["Metaflow", "argo_events", "-x", "a" * 64, ""])
def test_bad_namespace_is_refused(namespace: str) -> None:
    _assert_refused(
        lambda s: ArgoEventsPlatform(s, "a", namespace=namespace), "namespace", repr(namespace)
    )
    _assert_refused(
        lambda s: MetaflowEventsSetup(s, "m", namespace=namespace), "namespace", repr(namespace)
    )
    _assert_refused(
        lambda s: MetaflowEventsSetup(s, "m", namespace="ok", workflows_namespace=namespace),
        "workflows_namespace",
        repr(namespace),
    )


@pytest.mark.parametrize("name", ["Argo", "a_b", "x" * 54, "-a"])
def test_bad_release_name_is_refused(name: str) -> None:
    _assert_refused(
        lambda s: ArgoEventsPlatform(s, "a", release_name=name), "release_name", repr(name)
    )
    _assert_refused(
        lambda s: MetaflowEventsSetup(s, "m", namespace="ok", release_name=name),
        "release_name",
        repr(name),
    )


@pytest.mark.parametrize("replicas", [0, -1, 2, True])
def test_bad_replicas_are_refused(replicas: Any) -> None:
    _assert_refused(
        lambda s: MetaflowEventsSetup(s, "m", namespace="metaflow", replicas=replicas),
        "replicas",
        repr(replicas),
    )


@pytest.mark.parametrize("version", ["2.9.15", "2.11.0", "v2.10.10", ""])
def test_unlisted_jetstream_version_is_refused(version: str) -> None:
    _assert_refused(
        lambda s: MetaflowEventsSetup(s, "m", namespace="metaflow", jetstream_version=version),
        "jetstream_version",
        repr(version),
    )


def test_metaflows_own_jetstream_version_needs_the_versions_override() -> None:
    """metaflow-tools asks for JetStream 2.9.15, which the chart does not list; its install
    therefore overrides configs.jetstream.versions. The same override makes it valid here."""
    versions = [{"version": "2.9.15", "natsImage": "nats:2.9.15",
                 "metricsExporterImage": "natsio/prometheus-nats-exporter:0.14.0",
                 "configReloaderImage": "natsio/nats-server-config-reloader:0.14.0",
                 "startCommand": "/nats-server"}]
    stack, _, _mf = _platform(
        platform={"values": {"configs": {"jetstream": {"versions": versions}}}},
        setup={"jetstream_version": "2.9.15"},
    )
    assert _objects(synth_stack(stack))["EventBus"]["spec"]["jetstream"]["version"] == "2.9.15"
    # and the chart's own versions are then no longer available
    with pytest.raises(BlueprintError, match="jetstream_version"):
        MetaflowEventsSetup(stack, "m2", platform=_, jetstream_version="2.10.10")


def test_namespaced_platform_refuses_another_namespace() -> None:
    stack = _stack()
    argo = ArgoEventsPlatform(stack, "a", namespace="argo-events")
    with pytest.raises(BlueprintError) as info:
        MetaflowEventsSetup(stack, "m", platform=argo, namespace="metaflow")
    assert info.value.field == "namespace" and "'metaflow'" in str(info.value)
    cluster_wide = ArgoEventsPlatform(stack, "b", namespace="argo", namespaced=False,
                                      release_name="b")
    MetaflowEventsSetup(stack, "ok", platform=cluster_wide, namespace="metaflow")


# --- Metaflow's objects -------------------------------------------------------------------


def test_argo_objects_pass_the_strict_schema(
    terraform: dict[str, Any], strict_validator: Any
) -> None:
    found = list(argo_manifests(terraform))
    assert sorted(m["kind"] for _, m in found) == ["EventBus", "EventSource"]
    for address, manifest in found:
        assert address.startswith("helm_release.")
        assert strict_validator.errors(manifest) == [], address
    one = synth_stack(_platform(setup={"replicas": 1, "persistence": None})[0])
    for address, manifest in argo_manifests(one):
        assert strict_validator.errors(manifest) == [], address


def test_eventbus_defaults(terraform: dict[str, Any]) -> None:
    bus = _objects(terraform)["EventBus"]
    assert bus["metadata"] == {"name": "default", "namespace": "metaflow",
                               "labels": {"app.kubernetes.io/managed-by": "metaflow-blueprints"}}
    js = bus["spec"]["jetstream"]
    assert (js["version"], js["replicas"]) == ("2.10.10", 3)
    assert js["persistence"] == {"accessMode": "ReadWriteOnce", "volumeSize": "10Gi"}
    assert js["securityContext"]["runAsNonRoot"] is True
    assert "streamConfig" not in js


def test_single_replica_bus_lowers_the_stream_replicas() -> None:
    stack, _, _ = _platform(setup={"replicas": 1, "persistence": Persistence("1Gi", "fast")})
    js = _objects(synth_stack(stack))["EventBus"]["spec"]["jetstream"]
    assert js["replicas"] == 1 and js["streamConfig"] == "replicas: 1\n"
    assert js["persistence"]["storageClassName"] == "fast"


def test_metaflow_webhook_event_source(terraform: dict[str, Any]) -> None:
    source = _objects(terraform)["EventSource"]
    assert source["metadata"]["name"] == "argo-events-webhook"
    assert source["spec"]["service"] == {"ports": [{"port": 12000, "targetPort": 12000}]}
    hook = source["spec"]["webhook"]["metaflow-event"]
    assert hook["endpoint"] == "/metaflow-event" and hook["port"] == "12000"
    (secret,) = resources(terraform, "kubernetes_secret_v1").values()
    assert hook["authSecret"] == {"name": secret["metadata"]["name"], "key": "token"}
    assert source["spec"]["template"]["securityContext"]["runAsNonRoot"] is True


def test_webhook_without_auth() -> None:
    stack, _, mf = _platform(setup={"webhook_auth": False})
    terraform = synth_stack(stack)
    assert "authSecret" not in _objects(terraform)["EventSource"]["spec"]["webhook"][
        "metaflow-event"]
    assert mf.auth_header is None and "kubernetes_secret_v1" not in terraform["resource"]


def test_objects_chart_is_a_local_asset_applied_after_the_platform(
    terraform: dict[str, Any]
) -> None:
    release = _release(terraform, "metaflow-argo-events")
    assert release["chart"].startswith("assets/")
    argo = next(k for k, r in resources(terraform, "helm_release").items()
                if r["name"] == "argo-events")
    assert f"helm_release.{argo}" in release["depends_on"]
    chart = REPO / "constructs" / "metaflow_blueprints" / "platform" / "objects_chart"
    assert "toYaml" in (chart / "templates" / "objects.yaml").read_text()
    # no kubernetes_manifest: nothing here needs the CRDs at plan time
    assert "kubernetes_manifest" not in terraform["resource"]


def test_no_secret_in_the_synthesized_values(terraform: dict[str, Any]) -> None:
    text = json.dumps(resources(terraform, "helm_release"))
    assert "random_password" not in text
    (output,) = terraform["output"].values()
    assert "random_password" in output["value"] and output["sensitive"] is True


# --- RBAC: least privilege, derived from Metaflow's compiled sensor -----------------------

#: Kubernetes API verbs Argo Events' standard-k8s trigger calls per operation
#: (argo-events v1.9 pkg/sensors/triggers/standard-k8s/standard-k8s.go, Execute):
#: create -> Create; update -> Get, then Update (Create when absent); patch -> Get, then
#: Patch (Create when absent); delete -> Get, Delete. FetchResource calls Get only for
#: liveObject with update.
K8S_TRIGGER_VERBS = {
    "create": {"create"},
    "update": {"get", "create", "update"},
    "patch": {"get", "create", "patch"},
    "delete": {"get", "delete"},
}


def _compiled_sensor(namespace: str, bus: str = "default") -> dict[str, Any]:
    flow = REPO / "examples" / "flows" / "data_updated_flow.py"
    result = subprocess.run(
        [sys.executable, str(REPO / "tests" / "metaflow_sensor.py"), str(flow),
         "DataUpdatedFlow", namespace, bus],
        capture_output=True, text=True, check=True, timeout=300,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_role_is_exactly_what_metaflows_sensor_needs(terraform: dict[str, Any]) -> None:
    sensor = _compiled_sensor("metaflow")
    (trigger,) = sensor["spec"]["triggers"]
    template = trigger["template"]
    # Metaflow uses the k8s trigger (not argoWorkflow, whose "submit" shells out to argo).
    assert "argoWorkflow" not in template
    k8s = template["k8s"]
    assert not k8s.get("liveObject")
    resource = k8s["source"]["resource"]
    group, _version = resource["apiVersion"].split("/")
    needed = {
        "api_groups": [group],
        "resources": [resource["kind"].lower() + "s"],
        "verbs": sorted(K8S_TRIGGER_VERBS[k8s.get("operation", "create")]),
    }
    (role,) = resources(terraform, "kubernetes_role_v1").values()
    role = {**role, "metadata": single_block(role["metadata"])}
    assert role["rule"] == [needed]
    assert role["metadata"]["namespace"] == resource["metadata"]["namespace"]
    # no wildcard anywhere, and no ClusterRole at all
    assert "*" not in json.dumps(role["rule"])
    assert "kubernetes_cluster_role_v1" not in terraform["resource"]
    (binding,) = resources(terraform, "kubernetes_role_binding_v1").values()
    assert binding["role_ref"]["name"] == role["metadata"]["name"]
    assert binding["subject"] == [{
        "kind": "ServiceAccount",
        "name": sensor["spec"]["template"]["serviceAccountName"],
        "namespace": sensor["metadata"]["namespace"],
    }]
    (sa,) = resources(terraform, "kubernetes_service_account_v1").values()
    assert sa["metadata"]["name"] == "operate-workflow-sa"


def test_role_goes_to_the_workflows_namespace() -> None:
    stack, _, _mf = _platform(setup={"workflows_namespace": "jobs"})
    terraform = synth_stack(stack)
    (role,) = resources(terraform, "kubernetes_role_v1").values()
    (binding,) = resources(terraform, "kubernetes_role_binding_v1").values()
    assert single_block(role["metadata"])["namespace"] == binding["metadata"]["namespace"] == "jobs"
    assert binding["subject"][0]["namespace"] == "metaflow"


# --- checkov ------------------------------------------------------------------------------


def test_platform_is_checkov_clean(terraform: dict[str, Any], tmp_path: Path) -> None:
    assert checkov_failures(terraform, tmp_path) == []
