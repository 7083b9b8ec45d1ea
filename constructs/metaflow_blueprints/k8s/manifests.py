"""Argo Events objects as Terraform ``kubernetes_manifest`` resources.

``kubernetes_manifest`` needs the Argo Events CRDs to exist when Terraform *plans*
(hashicorp/terraform-provider-kubernetes#1367): install Argo Events first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metaflow_blueprints.argo import EventSource, Sensor
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.runtime import Construct, LibraryConstruct, add_depends_on, provider_module

#: What the Argo controllers (and the API server) change on our objects after apply: the
#: controller's full-object ``Update`` adds its finalizer (pkg/reconciler/*/controller.go).
COMPUTED_FIELDS = ("metadata.annotations", "metadata.labels", "metadata.finalizers")


class ArgoManifest(LibraryConstruct):
    """One Argo Events object (``EventSource`` or ``Sensor``) applied with kubernetes_manifest.

    Server-side apply forces conflicts (``field_manager.force_conflicts``): the controllers
    write the whole object back, so without it the next change to e.g. ``spec.triggers``
    fails with a field-manager conflict. ``computed_fields`` lists what they add.

    Attributes: ``spec`` (the typed argo object), ``name``, ``namespace``, ``manifest``
    (the Terraform resource: the escape hatch for ``add_override``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        spec: EventSource | Sensor,
        depends_on: Sequence[Any] = (),
    ) -> None:
        super().__init__(scope, id)
        kind = "Sensor" if isinstance(spec, Sensor) else "EventSource"
        claim(self, kind, spec.namespace, spec.name)
        if isinstance(spec, EventSource) and spec.service_ports:
            # The Argo controller creates this Service for the EventSource.
            claim(self, "Service", spec.namespace, f"{spec.name}-eventsource-svc")
        self.spec = spec
        self.name = spec.name
        self.namespace = spec.namespace
        manifest = provider_module("kubernetes", "manifest")
        self.manifest = manifest.Manifest(
            self,
            "manifest",
            manifest=spec.render(),
            field_manager=manifest.ManifestFieldManager(force_conflicts=True),
            computed_fields=list(COMPUTED_FIELDS),
            wait=self._wait(manifest),
        )
        self.add_dependencies(*depends_on)

    def _wait(self, manifest: Any) -> Any:
        return None

    def add_dependencies(self, *resources: Any) -> None:
        """Create this object after ``resources`` (and destroy it before them)."""
        add_depends_on(self.manifest, *resources)


class ArgoEventSource(ArgoManifest):
    """An Argo Events ``EventSource``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        event_source: EventSource,
        depends_on: Sequence[Any] = (),
    ) -> None:
        super().__init__(scope, id, spec=event_source, depends_on=depends_on)
        self.event_source = event_source

    def consumed_by(self, *sensors: ArgoSensor) -> None:
        """Create the EventSource only after the Sensors reading its events exist.

        A new JetStream consumer starts at new messages (``DeliverNew``), so an event
        published before its Sensor subscribed would never be delivered.
        """
        self.add_dependencies(*(sensor.manifest for sensor in sensors))


class ArgoSensor(ArgoManifest):
    """An Argo Events ``Sensor``."""

    def __init__(
        self, scope: Construct, id: str, *, sensor: Sensor, depends_on: Sequence[Any] = ()
    ) -> None:
        super().__init__(scope, id, spec=sensor, depends_on=depends_on)
        self.sensor = sensor

    def _wait(self, manifest: Any) -> Any:
        # The controller marks the Sensor Deployed once its Deployment exists
        # (SensorConditionDeployed); the apply of the EventSource waits for that.
        return manifest.ManifestWait(
            condition=[manifest.ManifestWaitCondition(type="Deployed", status="True")]
        )
