"""What every blueprint shares: its common props and opening (:class:`SourceProps`,
:class:`Source`), names, filter and payload normalisation, the bridge."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Required, TypedDict

from metaflow_blueprints.argo import EventFilters, check_object_name, derive_name
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.k8s.manifests import ArgoEventSource, ArgoSensor
from metaflow_blueprints.metaflow import Bridge, PayloadField, bridge_sensor_name, check_event
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.props import prop_group
from metaflow_blueprints.runtime import Construct, LibraryConstruct, path_of, stack_of

#: What a source reads from its messages: payload fields, the event id, the timestamp jq and
#: the sensor filters of its own (the user's ``filters`` are added to these).
MessageMapping = tuple[dict[str, PayloadField], PayloadField, str, EventFilters]


def base_name(construct: Construct, explicit: str | None) -> str:
    """The blueprint's object-name stem: ``name=`` if given, else derived from its path.

    The path below the app (stack id and construct ids) keeps names unique per cluster
    namespace and stable across synths; renaming a construct renames its objects.
    """
    if explicit is not None:
        return check_object_name("name", explicit)
    stack = path_of(stack_of(construct)).split("/")  # remembered: one jsii lookup per stack
    parts = [stack[-1], *path_of(construct).split("/")[len(stack) :]]
    return derive_name(*parts)


def event_key(event: str) -> str:
    """The Argo event name (map key) for a Metaflow event: ``data.updated`` -> ``data-updated``."""
    return derive_name(event, max_length=63)


def as_filters(filters: EventFilters | Sequence[Filter] | None) -> EventFilters | None:
    """Accept an ``EventFilters`` set or a plain list (all must pass)."""
    if filters is None or isinstance(filters, EventFilters):
        return filters
    if isinstance(filters, (str, bytes)) or not isinstance(filters, Sequence):
        raise BlueprintError(
            "filters", filters, "must be an EventFilters set or a list of filters."
        )
    return EventFilters.all(filters)


def as_payload(
    payload: Mapping[str, str | PayloadField] | None,
    *,
    root: Sequence[str | int] = (),
    field_for: Callable[[str, str], PayloadField] | None = None,
) -> dict[str, PayloadField]:
    """Turn ``{"key": "dotted.path"}`` into payload fields.

    String specs become ``PayloadField.path(spec, root=root)``, or ``field_for(where, spec)``
    when a source reads its paths differently (``where`` names the prop for errors).
    """
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise BlueprintError("payload", payload, "must map payload keys to paths or PayloadFields.")
    out: dict[str, PayloadField] = {}
    for key, spec in payload.items():
        where = f"payload[{key!r}]"
        if isinstance(spec, PayloadField):
            out[key] = spec
        elif not isinstance(spec, str):
            raise BlueprintError(where, spec, "must be a dotted path or a PayloadField.")
        elif field_for is not None:
            out[key] = field_for(where, spec)
        else:
            out[key] = PayloadField.path(spec, root=root)
    return out


def check_metaflow(metaflow: object) -> MetaflowEvents:
    """Raise unless ``metaflow`` is a :class:`MetaflowEvents` construct; return it."""
    if not isinstance(metaflow, MetaflowEvents):
        raise BlueprintError("metaflow", metaflow, "must be a MetaflowEvents construct.")
    return metaflow


def plan_bridge(
    metaflow: MetaflowEvents, name: str, *, scope: Construct | None = None, **bridge: Any
) -> Bridge:
    """Validate a blueprint's bridge (no resources yet): call before creating anything.

    ``scope`` (the blueprint) claims its name stem in the Metaflow namespace, so two
    blueprints whose objects would share names fail here, before either creates any.
    """
    check_metaflow(metaflow)
    planned = Bridge(sensor_name=bridge_sensor_name(name), **bridge)
    if scope is not None:
        claim(scope, "blueprint objects", metaflow.namespace, name)
    return planned


def add_bridge_sensor(
    scope: Construct,
    *,
    metaflow: MetaflowEvents,
    bridge: Bridge,
    event_source: ArgoEventSource,
    depends_on: Sequence[Any] = (),
) -> ArgoSensor:
    """Create the bridge Sensor planned with :func:`plan_bridge` (construct id ``sensor``).

    It waits for ``metaflow.sensor_dependencies`` (the auth Secret it reads, the
    ServiceAccount and RBAC it runs as), and ``event_source`` waits for it: the Sensor
    subscribes before the first event is published; destroy runs in reverse.
    """
    sensor = ArgoSensor(
        scope,
        "sensor",
        sensor=bridge.sensor(metaflow.target),
        depends_on=[*metaflow.sensor_dependencies, *depends_on],
    )
    event_source.consumed_by(sensor)
    return sensor


@prop_group({"name": None})
class SourceProps(TypedDict, total=False):
    """The props every blueprint takes (a prop group: flat keyword arguments, the first two
    required); a blueprint's docstring says more where one means more there.

    :param metaflow: the cluster's Metaflow setup (namespace, bus, webhook).
    :param event: Metaflow event name the blueprint posts: every flow with
        ``@trigger(event=...)`` on it starts.
    :param name: stem of the EventSource and Sensor names. Default: derived from the path.
    """

    metaflow: Required[MetaflowEvents]
    event: Required[str]
    name: str | None


class Source(LibraryConstruct):
    """Base of the blueprints: one Metaflow event, posted by one bridge Sensor.

    The constructor opens every blueprint the same way: it checks ``event`` and
    ``metaflow``, creates the construct and sets ``name``; :meth:`plan_bridge` then
    validates the bridge, before the blueprint creates any resource.

    Attributes: ``name``.
    """

    def __init__(self, scope: Construct, id: str, props: SourceProps) -> None:
        self._event = check_event("event", props["event"])
        self._metaflow = check_metaflow(props["metaflow"])
        super().__init__(scope, id)
        self.name = base_name(self, props.get("name"))

    def plan_bridge(self, **bridge: Any) -> Bridge:
        """Validate the bridge of this blueprint (creates nothing): it posts ``event`` for the
        events of the EventSource ``name`` (event key :func:`event_key`) and claims the name
        stem; ``bridge`` holds the rest (payload, id, timestamp_jq, filters, rate_limit)."""
        return plan_bridge(
            self._metaflow,
            self.name,
            scope=self,
            event=self._event,
            event_source_name=self.name,
            event_name=event_key(self._event),
            **bridge,
        )

    def plan_mapped_bridge(
        self, mapping: MessageMapping, user_filters: EventFilters | None
    ) -> Bridge:
        """:meth:`plan_bridge` for a source's :data:`MessageMapping` and the user's filters."""
        fields, id_field, timestamp_jq, sensor_filters = mapping
        return self.plan_bridge(
            payload=fields,
            id=id_field,
            timestamp_jq=timestamp_jq,
            filters=sensor_filters & user_filters if user_filters else sensor_filters,
        )
