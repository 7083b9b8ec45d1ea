"""``MetaflowEventsSetup``: Metaflow's side of Argo Events (EventBus, webhook, service account).

What metaflow-tools' ``common/terraform/argo_events`` installs, hardened:

* a JetStream ``EventBus`` (``METAFLOW_ARGO_EVENTS_EVENT_BUS``);
* Metaflow's webhook EventSource ``argo-events-webhook`` with event ``metaflow-event`` on
  port 12000, endpoint ``/metaflow-event`` (``METAFLOW_ARGO_EVENTS_EVENT_SOURCE`` /
  ``_EVENT`` / ``_INTERNAL_WEBHOOK_URL``), by default demanding a bearer token;
* ``operate-workflow-sa`` (``METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT``), the identity of
  Metaflow's sensors, allowed only to create Workflows.

The two Argo objects go through a small local Helm chart (shipped as a ``TerraformAsset``)
rather than ``kubernetes_manifest``, so ``terraform plan`` works before the Argo Events CRDs
exist (hashicorp/terraform-provider-kubernetes#1367). The chart is generic; the objects are
rendered by the typed ``argo`` model and passed as values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from metaflow_blueprints.argo import EventSource, SecretKeyRef, WebhookEvent, check_object_name
from metaflow_blueprints.argo.eventbus import JetStreamEventBus, Persistence
from metaflow_blueprints.argo.names import derive_name
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.k8s.objects import KubernetesSecret, KubernetesServiceAccount
from metaflow_blueprints.metaflow import default_webhook_url
from metaflow_blueprints.metaflow.bridge import MANAGED_BY
from metaflow_blueprints.platform.argo_events import (
    ArgoEventsPlatform,
    check_namespace,
    check_release_name,
)
from metaflow_blueprints.platform.chart import JETSTREAM_VERSIONS, listed_jetstream_versions
from metaflow_blueprints.runtime import (
    AssetType,
    Construct,
    LibraryConstruct,
    TerraformAsset,
    TerraformOutput,
    is_unresolved,
    nested_block,
    provider_module,
)

#: Names Metaflow's configuration refers to (METAFLOW_ARGO_EVENTS_*).
WEBHOOK_EVENT_SOURCE = "argo-events-webhook"
WEBHOOK_EVENT = "metaflow-event"
WEBHOOK_PORT = 12000
WEBHOOK_ENDPOINT = "/metaflow-event"
SERVICE_ACCOUNT = "operate-workflow-sa"
#: A pinned JetStream listed by the chart. Metaflow's install asks for 2.9.15, which the
#: chart does not list (it adds the version with unpinned ``latest`` images instead).
DEFAULT_JETSTREAM_VERSION = "2.10.10"

#: What Metaflow's sensors do with the Kubernetes API, and nothing more. Metaflow compiles
#: a ``k8s`` trigger with operation ``create`` of a ``Workflow`` (argoproj.io/v1alpha1)
#: that only *references* the WorkflowTemplate (resolved by the Argo Workflows controller
#: with its own identity); Argo Events' standard-k8s trigger then calls only ``Create`` for
#: that operation (no get/list: no live object, no discovery).
WORKFLOW_RULES: tuple[dict[str, list[str]], ...] = (
    {"api_groups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
)

CHART_DIR = Path(__file__).parent / "objects_chart"

#: Resources of Metaflow's webhook EventSource pod (as metaflow-tools sets them).
WEBHOOK_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "50m", "memory": "50Mi"},
    "limits": {"cpu": "50m", "memory": "50Mi"},
}
BUS_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "100m", "memory": "128Mi"},
}
POD_SECURITY: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 9731,
    "runAsGroup": 9731,
    "fsGroup": 9731,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}


class MetaflowEventsSetup(LibraryConstruct):
    """Metaflow's Argo Events objects, in one namespace.

    :param platform: the ``ArgoEventsPlatform`` to install into (its release goes first;
        ``namespace`` defaults to its namespace). Default None: Argo Events exists already.
    :param namespace: namespace of the bus, the webhook, the service account and every
        sensor (``METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE``). Default: the platform's; with
        a namespaced platform it must be the platform's.
    :param workflows_namespace: where Metaflow's Workflows run
        (``METAFLOW_KUBERNETES_NAMESPACE``): the Role lives there. Default ``namespace``.
    :param event_bus: EventBus name. Default ``"default"``.
    :param jetstream_version: one the chart's controller config lists. Default
        ``"2.10.10"`` (pinned images).
    :param replicas: JetStream replicas, 1 or >= 3. Default 3 (survives losing one node).
    :param persistence: a volume per replica. Default 10Gi ReadWriteOnce, cluster default
        storage class; None keeps the stream in an emptyDir (lost on restart).
    :param webhook_auth: the webhook demands ``Authorization: Bearer <token>``, a 48-character
        token generated by Terraform's random provider, stored in a Secret. Default True.
    :param release_name: Helm release of the objects chart. Default
        ``"metaflow-argo-events"``.

    Attributes: ``namespace``, ``workflows_namespace``, ``event_bus_name``, ``webhook_url``,
    ``auth_header`` (``SecretKeyRef`` of ``Bearer <token>`` for bridges, or None),
    ``auth_secret``, ``token`` (the ``random_password``; also a sensitive output
    ``webhook_token``), ``event_bus`` and ``event_source`` (typed models),
    ``objects`` (rendered manifests), ``release``, ``service_account``, ``role``,
    ``role_binding``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform: ArgoEventsPlatform | None = None,
        namespace: str | None = None,
        workflows_namespace: str | None = None,
        event_bus: str = "default",
        jetstream_version: str = DEFAULT_JETSTREAM_VERSION,
        replicas: int = 3,
        persistence: Persistence | None = Persistence(),  # noqa: B008 - frozen dataclass
        webhook_auth: bool = True,
        release_name: str = "metaflow-argo-events",
    ) -> None:
        super().__init__(scope, id)
        if namespace is None:
            if platform is None:
                raise BlueprintError(
                    "namespace", None, "is required without platform=.",
                    "Give the namespace of Argo Events' EventBus and sensors.",
                )
            namespace = platform.namespace
        check_namespace("namespace", namespace)
        if workflows_namespace is None:
            workflows_namespace = namespace
        check_namespace("workflows_namespace", workflows_namespace)
        check_release_name("release_name", release_name)
        if (
            platform is not None
            and platform.namespaced
            and not is_unresolved(namespace)
            and not is_unresolved(platform.namespace)
            and namespace != platform.namespace
        ):
            raise BlueprintError(
                "namespace", namespace,
                f"differs from the namespaced platform's {platform.namespace!r}: its "
                "controller would never reconcile this EventBus.",
                "Use the platform's namespace, or ArgoEventsPlatform(namespaced=False).",
            )
        check_object_name("event_bus", event_bus)
        listed = (
            listed_jetstream_versions(platform.values) if platform else JETSTREAM_VERSIONS
        )
        if not is_unresolved(jetstream_version) and jetstream_version not in listed:
            raise BlueprintError(
                "jetstream_version", jetstream_version,
                f"is not listed by the argo-events chart's controller config: {list(listed)}.",
                "Pick a listed version, or add it to configs.jetstream.versions in the "
                "platform's values.",
            )
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1 or (
            replicas == 2
        ):
            raise BlueprintError(
                "replicas", replicas,
                "must be 1 or at least 3: the Argo Events controller rejects 0 and 2.",
            )
        auth_name = derive_name("mfb", *self.node.path.split("/"), "webhook-auth")
        auth_ref = SecretKeyRef(auth_name, "token") if webhook_auth else None
        self.event_bus = JetStreamEventBus(
            name=event_bus,
            namespace=namespace,
            version=jetstream_version,
            replicas=replicas,
            persistence=persistence,
            container_resources=BUS_RESOURCES,
            security_context=POD_SECURITY,
            labels=MANAGED_BY,
        )
        self.event_source = EventSource(
            name=WEBHOOK_EVENT_SOURCE,
            namespace=namespace,
            events={
                WEBHOOK_EVENT: WebhookEvent(
                    endpoint=WEBHOOK_ENDPOINT, port=WEBHOOK_PORT, auth_secret=auth_ref
                )
            },
            event_bus_name=event_bus,
            service_ports=(WEBHOOK_PORT,),
            labels=MANAGED_BY,
        )
        # Validation is over: resources from here on.
        self.namespace = namespace
        self.workflows_namespace = workflows_namespace
        self.event_bus_name = event_bus
        self.webhook_url = default_webhook_url(namespace)
        self.objects = [self.event_bus.render(), self._webhook_manifest()]
        ns_deps: list[Any] = (
            [platform.namespace_resource]
            if platform is not None and platform.namespace_resource is not None
            else []
        )
        self.token: Any = None
        self.auth_secret: KubernetesSecret | None = None
        self.auth_header: SecretKeyRef | None = None
        if webhook_auth:
            password = provider_module("random", "password")
            self.token = password.Password(self, "token", length=48, special=False)
            self.auth_secret = KubernetesSecret(
                self,
                "auth",
                name=auth_name,
                namespace=namespace,
                # ``token`` for the webhook's authSecret, ``authorization`` for the header
                # bridges send (MetaflowEvents.webhook_auth_secret).
                data={"token": self.token.result, "authorization": f"Bearer {self.token.result}"},
                labels=MANAGED_BY,
            )
            self.auth_header = self.auth_secret.ref("authorization")
            # Metaflow's own publishers (ArgoEvent.publish, @trigger_on_finish) must send it
            # too: METAFLOW_ARGO_EVENTS_WEBHOOK_AUTH=service + METAFLOW_SERVICE_HEADERS.
            TerraformOutput(
                self,
                "webhook_token",
                value=self.token.result,
                sensitive=True,
                description="Bearer token of Metaflow's webhook (Authorization: Bearer <token>).",
            )
            for dep in ns_deps:
                self.auth_secret.secret.node.add_dependency(dep)
        self._rbac(ns_deps)
        chart = TerraformAsset(self, "chart", path=str(CHART_DIR), type=AssetType.DIRECTORY)
        release = provider_module("helm", "release")
        deps: list[Any] = [platform.release] if platform is not None else []
        deps.append(self.service_account.service_account)
        if self.auth_secret is not None:
            deps.append(self.auth_secret.secret)
        self.release = release.Release(
            self,
            "objects",
            name=release_name,
            chart=chart.path,
            namespace=namespace,
            values=[json.dumps({"objects": self.objects}, sort_keys=True)],
            atomic=True,
            cleanup_on_fail=True,
            depends_on=deps,
        )

    def _webhook_manifest(self) -> dict[str, Any]:
        manifest = self.event_source.render()
        manifest["spec"]["template"] = {
            "securityContext": POD_SECURITY,
            "container": {"resources": WEBHOOK_RESOURCES, "securityContext": CONTAINER_SECURITY},
        }
        return manifest

    def _rbac(self, depends_on: list[Any]) -> None:
        self.service_account = KubernetesServiceAccount(
            self, "service_account", name=SERVICE_ACCOUNT, namespace=self.namespace,
            labels=MANAGED_BY,
        )
        for dep in depends_on:
            self.service_account.service_account.node.add_dependency(dep)
        role_v1 = provider_module("kubernetes", "role_v1")
        binding_v1 = provider_module("kubernetes", "role_binding_v1")
        name = derive_name("mfb", "operate-workflow")
        self.role = role_v1.RoleV1(
            self,
            "role",
            metadata=nested_block(
                role_v1.RoleV1,
                "metadata",
                role_v1.RoleV1Metadata(
                    name=name, namespace=self.workflows_namespace, labels=dict(MANAGED_BY)
                ),
            ),
            rule=[role_v1.RoleV1Rule(**rule) for rule in _copy(WORKFLOW_RULES)],
            depends_on=depends_on or None,
        )
        self.role_binding = binding_v1.RoleBindingV1(
            self,
            "role_binding",
            metadata=binding_v1.RoleBindingV1Metadata(
                name=name, namespace=self.workflows_namespace, labels=dict(MANAGED_BY)
            ),
            role_ref=binding_v1.RoleBindingV1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="Role", name=name
            ),
            subject=[
                binding_v1.RoleBindingV1Subject(
                    kind="ServiceAccount", name=SERVICE_ACCOUNT, namespace=self.namespace
                )
            ],
            depends_on=depends_on or None,
        )


def _copy(rules: tuple[Mapping[str, list[str]], ...]) -> list[dict[str, list[str]]]:
    return [{k: list(v) for k, v in rule.items()} for rule in rules]
