"""Replay one source message through every Sensor of a synthesized stack."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypedDict, Unpack

from . import conditions, gojson, transform, triggers
from . import stack as stack_mod
from .errors import EvalError
from .events import Event
from .filters import run_filters
from .sources import Dropped, wrap

#: A synthesized stack: its directory (``cdktf.out/stacks/<name>``), ``cdk.tf.json``, or the
#: parsed JSON.
StackInput = str | Path | Mapping[str, Any]
#: One source message (raw bytes/text or parsed JSON), or a list of them for batches.
MessageInput = bytes | str | Mapping[str, Any] | list[Any]


class Delivery(TypedDict, total=False):
    """How the message arrives (keyword arguments of :func:`replay` and of the
    ``replay.testing`` helpers): ``source``, the EventSource to publish through (needed
    when the stack has several); ``headers`` (webhooks) and ``attributes`` (Pub/Sub) of the
    message; ``now``, the event time (also jq's ``now``; default: the current UTC time)."""

    source: str | None
    headers: Mapping[str, str] | None
    attributes: Mapping[str, str] | None
    now: datetime | None


@dataclass
class ReplayResult:
    """What happened to one message."""

    source: str
    event: dict[str, Any] | None
    dropped: str | None = None
    fired: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)

    @property
    def metaflow_events(self) -> list[Any]:
        """The bodies posted by Metaflow bridge triggers, in firing order."""
        return [f["metaflow_event"] for f in self.fired if "metaflow_event" in f]

    @property
    def dead_letters(self) -> list[dict[str, Any]]:
        """What ``dlqTrigger``s did after their trigger failed (``webhook_down=True``)."""
        return [f for f in self.fired if "dead_letter_for" in f]


def replay(
    stack: StackInput,
    *,
    event: MessageInput,
    explain: bool = False,
    webhook_down: bool = False,
    **delivery: Unpack[Delivery],
) -> ReplayResult:
    """Wrap ``event`` as the ``source`` EventSource publishes it (:class:`Delivery`) and
    evaluate every Sensor.

    ``explain`` fills :attr:`ReplayResult.explain` with per dependency/filter reasons.
    ``webhook_down`` makes every http trigger fail all its retries: it lands in ``failed``
    and its ``dlqTrigger`` (if any) fires instead (see :attr:`ReplayResult.dead_letters`).
    Raises :class:`ReplayError` on bad input and :class:`UnsupportedConstruct` when the
    stack needs something replay does not evaluate faithfully.
    """
    unknown = sorted(delivery.keys() - Delivery.__annotations__.keys())
    if unknown:  # what Python says for a keyword the signature does not have
        raise TypeError(f"replay() got an unexpected keyword argument {unknown[0]!r}")
    when = delivery.get("now") or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    parsed = stack_mod.load(stack)
    entry = stack_mod.pick_source(parsed, delivery.get("source"))
    notes: list[str] = []
    built = wrap(entry.eventsource, entry.type_key, entry.event_name, entry.spec, event,
                 headers=delivery.get("headers") or {},
                 attributes=delivery.get("attributes") or {}, now=when)
    if isinstance(built, Dropped):
        notes.append(f"source {entry.name}: not published: {built.reason}")
        return ReplayResult(entry.name, None, built.reason, explain=notes if explain else [])
    result = ReplayResult(entry.name, _event_view(built))
    notes.append(f"source {entry.name}: published event {built.id}")
    es_name = str(entry.eventsource.get("metadata", {}).get("name", ""))
    for sensor in stack_mod.manifests(parsed, "Sensor"):
        _run_sensor(sensor, es_name, entry.event_name, built, when, result, notes,
                    webhook_down)
    if explain:
        result.explain = notes
    return result


def replay_published(
    stack: str | Path | Mapping[str, Any],
    *,
    context: Mapping[str, Any],
    data: Any,
    now: datetime | None = None,
    explain: bool = False,
) -> ReplayResult:
    """Evaluate the Sensors on an event exactly as it sits on the bus (``{context, data}``).

    Use it for captured bus events or the constructed payloads under
    ``shared/argo-events/examples/event-payloads``; no EventSource is needed in the stack.
    """
    parsed = stack_mod.load(stack)
    raw_time = str(context.get("time") or "")
    when = (datetime.fromisoformat(raw_time.replace("Z", "+00:00")) if raw_time
            else (now or datetime.now(timezone.utc)))
    built = Event(
        id=str(context.get("id", "")), source=str(context.get("source", "")),
        subject=str(context.get("subject", "")), type=str(context.get("type", "")),
        time=when, data=gojson.loads(json.dumps(data)),
        specversion=str(context.get("specversion", "1.0")),
        datacontenttype=str(context.get("datacontenttype", "application/json")),
    )
    name = f"{built.source}/{built.subject}"
    result = ReplayResult(name, _event_view(built))
    notes = [f"published event {built.id} from {name} (given)"]
    for sensor in stack_mod.manifests(parsed, "Sensor"):
        _run_sensor(sensor, built.source, built.subject, built, when, result, notes)
    if explain:
        result.explain = notes
    return result


def _event_view(event: Event) -> dict[str, Any]:
    return {"context": event.context(), "data": gojson.plain(event.data)}


def _run_sensor(sensor: Mapping[str, Any], es_name: str, event_name: str, event: Event,
                now: datetime, result: ReplayResult, notes: list[str],
                webhook_down: bool = False) -> None:
    name = str((sensor.get("metadata") or {}).get("name", ""))
    spec = sensor.get("spec") or {}
    deps = list(spec.get("dependencies") or [])
    matching = [d for d in deps if d.get("eventSourceName") == es_name
                and d.get("eventName") == event_name]
    if not matching:
        return
    delivered: dict[str, Event] = {}
    for dep in matching:
        dep_name = str(dep.get("name", ""))
        label = f"sensor {name} dependency {dep_name}"
        current = event
        if dep.get("transform"):
            try:
                current = event.with_data(transform.apply(dict(dep["transform"]), event.data, now))
            except EvalError as exc:
                notes.append(f"{label}: transform failed, event dropped: {exc}")
                continue
            notes.append(f"{label}: transform applied")
        outcome = run_filters(current, dep.get("filters"), dep.get("filtersLogicalOperator"))
        for note in outcome.notes:
            notes.append(f"{label}: {note}")
        if outcome.error and outcome.passed:
            notes.append(f"{label}: passed with filtering error: {outcome.error}")
        if not outcome.passed:
            why = f"filtering error: {outcome.error}" if outcome.error else "filtered out"
            notes.append(f"{label}: discarded ({why})")
            continue
        notes.append(f"{label}: passed")
        delivered[dep_name] = current
    all_names = [str(d.get("name", "")) for d in deps]
    for trigger in spec.get("triggers") or []:
        _run_trigger(sensor, name, trigger, all_names, delivered, result, notes, webhook_down)


def _run_trigger(sensor: Mapping[str, Any], sensor_name: str, trigger: Mapping[str, Any],
                 all_names: list[str], delivered: dict[str, Event], result: ReplayResult,
                 notes: list[str], webhook_down: bool = False) -> None:
    template = trigger.get("template") or {}
    tname = str(template.get("name", ""))
    label = f"sensor {sensor_name} trigger {tname}"
    expression = str(template.get("conditions") or "&&".join(all_names))
    normalised = {n.replace("-", "_"): n for n in all_names}
    try:
        wanted = conditions.dependency_names(expression)
        unknown = [w for w in wanted if w not in normalised]
        if unknown:
            raise EvalError(f"dependency expression and dependency list do not match, "
                            f"{unknown[0]} is not found")
        satisfied = {k for k, v in normalised.items() if v in delivered and k in wanted}
        fires = conditions.evaluate(expression, satisfied)
    except EvalError as exc:
        notes.append(f"{label}: not started: {exc}")
        result.failed.append({"sensor": sensor_name, "trigger": tname, "error": str(exc)})
        return
    if not fires:
        notes.append(f"{label}: conditions {expression!r} not satisfied by this event alone")
        return
    events = {normalised[k]: delivered[normalised[k]] for k in satisfied}
    try:
        rendered = triggers.render(sensor, trigger, events)
    except EvalError as exc:
        notes.append(f"{label}: fires but fails: {exc}")
        result.failed.append({"sensor": sensor_name, "trigger": tname, "error": str(exc)})
        return
    if webhook_down and rendered["kind"] == "http":
        # listener.go: DoWithRetry(retryStrategy) fails, then the dlqTrigger runs on the
        # same events.
        error = "every attempt failed (webhook down): retries exhausted"
        notes.append(f"{label}: {error}")
        result.failed.append({"sensor": sensor_name, "trigger": tname, "error": error})
        dlq = trigger.get("dlqTrigger")
        if not dlq:
            notes.append(f"{label}: no dlqTrigger: the event is acknowledged and lost")
            return
        try:
            dead = triggers.render(sensor, dlq, events)
        except EvalError as exc:
            notes.append(f"{label}: dlqTrigger fails: {exc}")
            result.failed.append({"sensor": sensor_name, "trigger": tname, "error": str(exc)})
            return
        dead["dead_letter_for"] = tname
        notes.append(f"{label}: dlqTrigger fired ({dead['kind']})")
        result.fired.append(dead)
        return
    notes.append(f"{label}: fired ({rendered['kind']})")
    result.fired.append(rendered)
