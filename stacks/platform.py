"""Reference stack ``platform``: Argo Events and Metaflow's event side, deployed first.

Every other reference stack points its ``MetaflowEvents`` at this one
(``MetaflowEvents.from_platform``), which makes it depend on ``platform`` in
``cdktf.out/manifest.json``: ``cdktf deploy '*'`` deploys this stack first.
"""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.platform import ArgoEventsPlatform, MetaflowEventsSetup
from metaflow_blueprints.runtime import Construct, TerraformStack, provider_module


class PlatformStack(TerraformStack):
    """The argo-events chart, a JetStream EventBus, Metaflow's webhook and service account."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        options = settings["platform"]
        provider_module("kubernetes", "provider").KubernetesProvider(
            self, "kubernetes", config_path=settings["kubeconfig"]
        )
        helm = provider_module("helm", "provider")
        helm.HelmProvider(
            self, "helm", kubernetes=helm.HelmProviderKubernetes(config_path=settings["kubeconfig"])
        )
        provider_module("random", "provider").RandomProvider(self, "random")
        self.argo_events = ArgoEventsPlatform(
            self,
            "argo_events",
            namespace=settings["namespace"],
            namespaced=options["namespaced"],
        )
        self.metaflow = MetaflowEventsSetup(
            self,
            "metaflow",
            platform=self.argo_events,
            event_bus=settings["event_bus"],
            jetstream_version=options["jetstream_version"],
            replicas=options["replicas"],
        )

    @staticmethod
    def find(scope: Construct) -> PlatformStack | None:
        """The app's platform stack, if the app has one."""
        for child in scope.node.root.node.children:
            if isinstance(child, PlatformStack):
                return child
        return None
