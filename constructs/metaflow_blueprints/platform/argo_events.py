"""``ArgoEventsPlatform``: the pinned argo-events Helm chart with secure values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from metaflow_blueprints import rules
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow.bridge import MANAGED_BY
from metaflow_blueprints.platform.chart import (
    CHART_NAME,
    CHART_REPOSITORY,
    CHART_VERSION,
    check_values,
    merge,
)
from metaflow_blueprints.runtime import (
    Construct,
    LibraryConstruct,
    is_unresolved,
    nested_block,
    provider_module,
)

#: Pod security context for every chart pod (the chart's own suggestion, plus seccomp);
#: ``MetaflowEventsSetup``'s bus and webhook pods run with it too.
POD_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 9731,
    "runAsGroup": 9731,
    "fsGroup": 9731,
    "seccompProfile": {"type": "RuntimeDefault"},
}
#: Container security context of the controller.
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}
#: Controller requests/limits (Metaflow's install asks for 200m / 192Mi).
CONTROLLER_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "200m", "memory": "192Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}


#: Helm's release name rule (DNS-1123 subdomain, at most 53 characters).
RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def check_release_name(prop: str, name: str) -> None:
    """Raise unless ``name`` is a valid Helm release name (tokens are skipped)."""
    if not is_unresolved(name) and (len(name) > 53 or not RELEASE_NAME.fullmatch(name)):
        raise BlueprintError(
            prop, name, "is not a valid Helm release name.",
            "Use at most 53 lower-case letters, digits, '-' and '.', alphanumeric at both ends.",
        )


def check_namespace(prop: str, namespace: str) -> None:
    """Raise unless ``namespace`` is a DNS-1123 label (tokens are skipped)."""
    if not is_unresolved(namespace):
        rules.NAMESPACE.check(prop, namespace)


def chart_values(*, namespaced: bool, install_crds: bool) -> dict[str, Any]:
    """The values this construct sets (every key is in the chart's derived table)."""
    return {
        "crds": {"install": install_crds, "keep": True},
        "global": {"securityContext": POD_SECURITY_CONTEXT},
        "controller": {
            "rbac": {"enabled": True, "namespaced": namespaced},
            "resources": CONTROLLER_RESOURCES,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
        },
        # The admission webhook is cluster-scoped and off by default in the chart; keep it so.
        "webhook": {"enabled": False},
    }


class ArgoEventsPlatform(LibraryConstruct):
    """Argo Events (controller and CRDs) from the pinned argo-helm ``argo-events`` chart.

    :param namespace: where the controller runs. Default ``"argo-events"``. With
        ``namespaced`` (the default) this is also the only namespace it manages, so put the
        EventBus, Metaflow's webhook and the sensors here (``MetaflowEventsSetup`` checks).
    :param create_namespace: create the namespace (``kubernetes_namespace_v1``). Default
        True; False when it exists already.
    :param namespaced: controller RBAC as a Role in ``namespace`` and ``--namespaced``.
        Default True (least privilege). False: the chart's cluster-wide ClusterRole, for
        EventBuses and sensors in several namespaces.
    :param install_crds: let the chart install/upgrade the CRDs. Default True. CRDs are
        always kept on uninstall (``crds.keep``), so deleting the release never deletes
        every EventSource and Sensor in the cluster.
    :param values: extra chart values, deep-merged over ours. Every key must exist in the
        chart's ``values.yaml`` at the pinned version, else ``BlueprintError``. Default:
        none (ours only).
    :param release_name: Helm release name. Default ``"argo-events"``.

    Attributes: ``release`` (the ``helm_release``), ``namespace``, ``namespaced``,
    ``values`` (the merged values), ``namespace_resource`` (or None), ``chart_version``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str = "argo-events",
        create_namespace: bool = True,
        namespaced: bool = True,
        install_crds: bool = True,
        values: Mapping[str, Any] | None = None,
        release_name: str = "argo-events",
    ) -> None:
        super().__init__(scope, id)
        check_namespace("namespace", namespace)
        check_release_name("release_name", release_name)
        check_values("values", values or {})
        merged = merge(chart_values(namespaced=namespaced, install_crds=install_crds), values or {})
        if merged["crds"].get("keep") is not True:
            raise BlueprintError(
                "values", {"crds.keep": merged["crds"].get("keep")},
                "must stay true: deleting the CRDs deletes every Argo Events object.",
            )
        self.namespace = namespace
        self.namespaced = namespaced
        self.values = merged
        self.chart_version = CHART_VERSION
        self.namespace_resource: Any = None
        depends_on: list[Any] = []
        if create_namespace:
            ns = provider_module("kubernetes", "namespace_v1")
            self.namespace_resource = ns.NamespaceV1(
                self,
                "namespace",
                metadata=nested_block(
                    ns.NamespaceV1,
                    "metadata",
                    ns.NamespaceV1Metadata(
                        name=namespace,
                        labels={
                            **MANAGED_BY,
                            "pod-security.kubernetes.io/warn": "restricted",
                            "pod-security.kubernetes.io/audit": "restricted",
                        },
                    ),
                ),
            )
            depends_on.append(self.namespace_resource)
        release = provider_module("helm", "release")
        self.release = release.Release(
            self,
            "release",
            name=release_name,
            chart=CHART_NAME,
            repository=CHART_REPOSITORY,
            version=CHART_VERSION,
            namespace=namespace,
            values=[json.dumps(merged, sort_keys=True)],
            atomic=True,
            cleanup_on_fail=True,
            wait=True,
            depends_on=depends_on or None,
        )
