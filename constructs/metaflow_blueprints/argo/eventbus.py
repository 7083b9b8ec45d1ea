"""The JetStream ``EventBus`` object, rendered as a Kubernetes manifest dict.

Controller rule (argo-events ``pkg/reconciler/eventbus/validate.go``): a JetStream bus
needs a version and 1 replica or at least 3 (2 is rejected: no quorum). The stream's own
replica count (3 in the chart's default ``streamConfig``) is lowered to match a 1-node bus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints.argo.names import check_object_name
from metaflow_blueprints.argo.sensor import API_VERSION
from metaflow_blueprints.errors import BlueprintError, is_token


@dataclass(frozen=True)
class Persistence:
    """A PersistentVolumeClaim per JetStream replica (``PersistenceStrategy``)."""

    volume_size: str = "10Gi"
    storage_class_name: str | None = None
    access_mode: str = "ReadWriteOnce"

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accessMode": self.access_mode, "volumeSize": self.volume_size}
        if self.storage_class_name:
            out["storageClassName"] = self.storage_class_name
        return out


@dataclass(frozen=True)
class JetStreamEventBus:
    """An Argo Events ``EventBus`` backed by a JetStream StatefulSet."""

    name: str
    namespace: str
    version: str
    replicas: int = 3
    persistence: Persistence | None = field(default_factory=Persistence)
    container_resources: Mapping[str, Any] = field(default_factory=dict)
    security_context: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_object_name("JetStreamEventBus.name", self.name)
        if not is_token(self.version) and not self.version:
            raise BlueprintError("JetStreamEventBus.version", self.version, "is required.")
        if (
            isinstance(self.replicas, bool)
            or not isinstance(self.replicas, int)
            or self.replicas < 1
            or self.replicas == 2
        ):
            raise BlueprintError(
                "JetStreamEventBus.replicas",
                self.replicas,
                "must be 1 or at least 3: the controller rejects 0 and 2 (no JetStream quorum).",
            )

    def render(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        jetstream: dict[str, Any] = {"version": self.version, "replicas": self.replicas}
        if self.replicas < 3:
            # The controller merges this over its default stream config (replicas: 3),
            # which a single NATS server cannot hold.
            jetstream["streamConfig"] = f"replicas: {self.replicas}\n"
        if self.persistence is not None:
            jetstream["persistence"] = self.persistence.render()
        if self.container_resources:
            jetstream["containerTemplate"] = {"resources": dict(self.container_resources)}
        if self.security_context:
            jetstream["securityContext"] = dict(self.security_context)
        return {
            "apiVersion": API_VERSION,
            "kind": "EventBus",
            "metadata": metadata,
            "spec": {"jetstream": jetstream},
        }
