"""Argo Events objects as Terraform ``kubernetes_manifest`` resources.

``kubernetes_manifest`` needs the Argo Events CRDs to exist when Terraform *plans*
(hashicorp/terraform-provider-kubernetes#1367): install Argo Events first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metaflow_blueprints.argo import EventSource, Sensor
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.runtime import Construct, provider_module


class ArgoManifest(Construct):
    """One Argo Events object (``EventSource`` or ``Sensor``) applied with kubernetes_manifest.

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
            depends_on=list(depends_on) or None,
        )


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


class ArgoSensor(ArgoManifest):
    """An Argo Events ``Sensor``."""

    def __init__(
        self, scope: Construct, id: str, *, sensor: Sensor, depends_on: Sequence[Any] = ()
    ) -> None:
        super().__init__(scope, id, spec=sensor, depends_on=depends_on)
        self.sensor = sensor
