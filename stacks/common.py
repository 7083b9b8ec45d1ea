"""Provider set-up shared by the reference stacks (constructs never configure providers)."""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import Construct, provider_module


def kubernetes_and_random(stack: Construct, settings: dict[str, Any]) -> None:
    """Configure the kubernetes provider from a kubeconfig, and the random provider."""
    provider_module("kubernetes", "provider").KubernetesProvider(
        stack, "kubernetes", config_path=settings["kubeconfig"]
    )
    provider_module("random", "provider").RandomProvider(stack, "random")


def metaflow_events(stack: Construct, settings: dict[str, Any]) -> MetaflowEvents:
    """The app's ``platform`` stack when it has one (a dependency), else ``settings``."""
    from stacks.platform import PlatformStack

    platform = PlatformStack.find(stack)
    if platform is not None:
        return MetaflowEvents.from_platform(stack, "metaflow", platform.metaflow)
    return MetaflowEvents(
        stack,
        "metaflow",
        namespace=settings["namespace"],
        event_bus=settings["event_bus"],
        webhook_url=settings["webhook_url"],
    )
