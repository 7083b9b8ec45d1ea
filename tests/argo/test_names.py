"""argo.names: derived names follow the controller rules; accepted names render valid manifests."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from metaflow_blueprints.argo import (
    Dependency,
    EventSource,
    LogTrigger,
    Sensor,
    Trigger,
    WebhookEvent,
    derive_name,
)
from metaflow_blueprints.rules import EVENT_NAME, OBJECT_NAME


def _sensor(**overrides: object) -> Sensor:
    kwargs: dict[str, object] = {
        "name": "s",
        "namespace": "ns",
        "dependencies": [Dependency("dep-a", "es", "ev")],
        "triggers": [Trigger("log", LogTrigger())],
    }
    kwargs.update(overrides)
    return Sensor(**kwargs)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_derived_names_always_follow_the_rules(parts: list[str]) -> None:
    name = derive_name(*parts)
    assert OBJECT_NAME.accepts(name), name
    assert derive_name(*parts) == name  # deterministic
    event = derive_name(*parts, max_length=63)
    assert EVENT_NAME.accepts(event), event


def test_long_names_are_shortened_with_a_distinguishing_hash() -> None:
    a = derive_name("x" * 60, "a")
    b = derive_name("x" * 60, "b")
    assert len(a) <= 47 and len(b) <= 47 and a != b


@settings(max_examples=100, deadline=None)
@given(
    st.from_regex(r"[a-z]([a-z0-9-]{0,45}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
)
def test_any_accepted_name_renders_a_schema_valid_manifest(
    object_name: str, event_name: str
) -> None:
    from metaflow_blueprints.tools.schema import StrictArgoValidator
    from tests.helpers import SCHEMA_DIR, require_shared

    require_shared()
    validator = StrictArgoValidator(SCHEMA_DIR)
    source = EventSource(object_name, "ns", {event_name: WebhookEvent("/x")}).render()
    sensor = _sensor(
        name=object_name, dependencies=[Dependency(event_name, object_name, event_name)]
    ).render()
    assert validator.errors(source) == [] and validator.errors(sensor) == []
    assert len(f"{object_name}-eventsource-svc") <= 63
