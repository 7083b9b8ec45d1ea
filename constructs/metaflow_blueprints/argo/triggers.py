"""Sensor triggers (argo-events.md §(c)): http, k8s and log, with parameters and policies."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from metaflow_blueprints import rules
from metaflow_blueprints.argo.common import SecretKeyRef
from metaflow_blueprints.argo.names import check_event_name
from metaflow_blueprints.errors import BlueprintError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_CRON_FIELDS = 5


@dataclass(frozen=True)
class ParamSource:
    """Where a trigger parameter's value comes from (``TriggerParameterSource``)."""

    dependency_name: str
    data_key: str | None = None
    context_key: str | None = None
    data_template: str | None = None
    context_template: str | None = None
    value: str | None = None
    use_raw_data: bool = False

    def __post_init__(self) -> None:
        if not self.dependency_name:
            raise BlueprintError(
                "ParamSource.dependency_name", self.dependency_name, "is required."
            )

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dependencyName": self.dependency_name}
        for key, attr in (
            ("dataKey", "data_key"),
            ("contextKey", "context_key"),
            ("dataTemplate", "data_template"),
            ("contextTemplate", "context_template"),
            ("value", "value"),
        ):
            if getattr(self, attr) is not None:
                out[key] = getattr(self, attr)
        if self.use_raw_data:
            out["useRawData"] = True
        return out


@dataclass(frozen=True)
class TriggerParameter:
    """Copy a value from an event into ``dest`` (an sjson path) of the trigger's target."""

    src: ParamSource
    dest: str
    operation: Literal["overwrite", "append", "prepend"] | None = None

    def __post_init__(self) -> None:
        if not self.dest:
            raise BlueprintError("TriggerParameter.dest", self.dest, "must name an sjson path.")

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"src": self.src.render(), "dest": self.dest}
        if self.operation:
            out["operation"] = self.operation
        return out


@dataclass(frozen=True)
class HttpTrigger:
    """POST (or another method) a JSON body built from event data to ``url``."""

    url: str
    method: Literal["GET", "DELETE", "PATCH", "POST", "PUT"] = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    secure_headers: Mapping[str, SecretKeyRef] = field(default_factory=dict)
    payload: Sequence[TriggerParameter] = ()
    timeout_seconds: int | None = None

    def __post_init__(self) -> None:
        if not self.url:
            raise BlueprintError("HttpTrigger.url", self.url, "is required.")
        rules.WEBHOOK_URL.check("HttpTrigger.url", self.url)
        if self.method not in ("GET", "DELETE", "PATCH", "POST", "PUT"):
            raise BlueprintError(
                "HttpTrigger.method", self.method, "must be GET/DELETE/PATCH/POST/PUT."
            )
        if self.timeout_seconds is not None and self.timeout_seconds <= 0:
            raise BlueprintError(
                "HttpTrigger.timeout_seconds", self.timeout_seconds, "must be > 0."
            )

    kind = "http"

    def render(self) -> dict[str, Any]:
        # HTTPTrigger.host has no omitempty: the controller writes "" back.
        out: dict[str, Any] = {"url": self.url, "method": self.method, "host": ""}
        if self.headers:
            out["headers"] = dict(self.headers)
        if self.secure_headers:
            out["secureHeaders"] = [
                {"name": name, "valueFrom": {"secretKeyRef": ref.render()}}
                for name, ref in self.secure_headers.items()
            ]
        if self.payload:
            out["payload"] = [p.render() for p in self.payload]
        if self.timeout_seconds is not None:
            out["timeout"] = self.timeout_seconds
        return out


@dataclass(frozen=True)
class K8sTrigger:
    """Create/update/patch/delete a Kubernetes object (e.g. an Argo ``Workflow``)."""

    resource: Mapping[str, Any]
    operation: Literal["create", "update", "patch", "delete"] = "create"
    parameters: Sequence[TriggerParameter] = ()

    kind = "k8s"

    def __post_init__(self) -> None:
        for key in ("apiVersion", "kind"):
            if key not in self.resource:
                raise BlueprintError(f"K8sTrigger.resource.{key}", None, "is required.")

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operation": self.operation,
            "source": {"resource": dict(self.resource)},
        }
        if self.parameters:
            out["parameters"] = [p.render() for p in self.parameters]
        return out


@dataclass(frozen=True)
class LogTrigger:
    """Log the event (handy while wiring a new source)."""

    interval_seconds: int | None = None

    kind = "log"

    def render(self) -> dict[str, Any]:
        return {} if self.interval_seconds is None else {"intervalSeconds": self.interval_seconds}


Action = HttpTrigger | K8sTrigger | LogTrigger


@dataclass(frozen=True)
class RetryStrategy:
    """Backoff for failed triggers (Argo ``Backoff``); only effective with ``at_least_once``.

    Argo turns it into a ``k8s.io/apimachinery`` ``wait.Backoff`` without ``Cap``
    (``pkg/shared/util/retry.go``, ``Convert2WaitBackoff``) and runs
    ``wait.ExponentialBackoff``: ``steps`` attempts, and before attempt ``i + 1`` a sleep of
    ``duration * factor**i`` plus up to ``jitter`` times that at random.
    """

    steps: int = 5
    duration: str = "2s"
    factor: float = 2.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int):
            raise BlueprintError("RetryStrategy.steps", self.steps, "must be an integer.")
        if not isinstance(self.duration, str):
            raise BlueprintError("RetryStrategy.duration", self.duration, "must be a string.")
        for name in ("factor", "jitter"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise BlueprintError(f"RetryStrategy.{name}", value, "must be a finite number.")
        if self.steps < 1:
            raise BlueprintError("RetryStrategy.steps", self.steps, "must be >= 1.")
        if not _DURATION.fullmatch(self.duration):
            raise BlueprintError(
                "RetryStrategy.duration", self.duration, "must look like '2s' or '500ms'."
            )
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)) or (
            self.factor < 1
        ):
            raise BlueprintError("RetryStrategy.factor", self.factor, "must be a number >= 1.")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, (int, float)) or not (
            0 <= self.jitter <= 1
        ):
            raise BlueprintError("RetryStrategy.jitter", self.jitter, "must be within [0, 1].")

    @property
    def duration_seconds(self) -> float:
        match = _DURATION.fullmatch(self.duration)
        assert match is not None  # checked in __post_init__
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]

    def sleeps(self) -> list[float]:
        """The sleeps between attempts without jitter (``steps - 1`` of them)."""
        return [self.duration_seconds * self.factor**i for i in range(self.steps - 1)]

    def window_seconds(self) -> float:
        """Shortest time from the first to the last attempt (jitter only lengthens it)."""
        return sum(self.sleeps())

    def render(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "duration": self.duration,
            "factor": self.factor,
            "jitter": self.jitter,
        }


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests_per_unit`` trigger executions per ``unit``."""

    requests_per_unit: int
    unit: Literal["Second", "Minute", "Hour"] = "Second"

    def __post_init__(self) -> None:
        if self.requests_per_unit < 1:
            raise BlueprintError(
                "RateLimit.requests_per_unit", self.requests_per_unit, "must be >= 1."
            )
        if self.unit not in ("Second", "Minute", "Hour"):
            raise BlueprintError("RateLimit.unit", self.unit, "must be Second, Minute or Hour.")

    def render(self) -> dict[str, Any]:
        return {"unit": self.unit, "requestsPerUnit": self.requests_per_unit}


@dataclass(frozen=True)
class StatusPolicy:
    """http/lambda triggers: only these response codes count as success."""

    allow: tuple[int, ...] = (200,)

    def render(self) -> dict[str, Any]:
        return {"status": {"allow": list(self.allow)}}


@dataclass(frozen=True)
class ResetByTime:
    """Clear partially met conditions on a cron schedule (``conditionsReset.byTime``)."""

    cron: str
    timezone: str | None = None

    def __post_init__(self) -> None:
        if len(self.cron.split()) != _CRON_FIELDS:
            raise BlueprintError("ResetByTime.cron", self.cron, "must have 5 cron fields.")

    def render(self) -> dict[str, Any]:
        by_time: dict[str, Any] = {"cron": self.cron}
        if self.timezone:
            by_time["timezone"] = self.timezone
        return {"byTime": by_time}


class TriggerConditions:
    """Build ``conditions`` expressions over dependency names.

    ``TriggerConditions.any("a", TriggerConditions.all("b", "c"))`` -> ``a || (b && c)``.
    """

    @staticmethod
    def _combine(operator: str, terms: Sequence[str]) -> str:
        if not terms:
            raise BlueprintError("TriggerConditions", terms, "needs at least one dependency name.")
        return terms[0] if len(terms) == 1 else "(" + f" {operator} ".join(terms) + ")"

    @staticmethod
    def all(*terms: str) -> str:
        """Every term must hold (``&&``)."""
        return TriggerConditions._combine("&&", terms)

    @staticmethod
    def any(*terms: str) -> str:
        """At least one term must hold (``||``)."""
        return TriggerConditions._combine("||", terms)


@dataclass(frozen=True)
class Trigger:
    """One sensor trigger: the action plus delivery policy, next to (not inside) the template."""

    name: str
    action: Action
    conditions: str | None = None
    conditions_reset: Sequence[ResetByTime] = ()
    parameters: Sequence[TriggerParameter] = ()
    policy: StatusPolicy | None = None
    retry_strategy: RetryStrategy | None = None
    rate_limit: RateLimit | None = None
    at_least_once: bool = False
    dlq_trigger: Trigger | None = None

    def __post_init__(self) -> None:
        check_event_name("Trigger.name", self.name)
        if self.dlq_trigger is not None:
            if not isinstance(self.dlq_trigger, Trigger):
                raise BlueprintError(
                    "Trigger.dlq_trigger", self.dlq_trigger, "must be a Trigger."
                )
            # pkg/reconciler/sensor/validate.go validateDlqTrigger: both levels.
            if not (self.at_least_once and self.dlq_trigger.at_least_once):
                raise BlueprintError(
                    "Trigger.dlq_trigger",
                    self.dlq_trigger.name,
                    "needs at_least_once=True on the trigger and on the dlq trigger "
                    "(the sensor controller refuses it otherwise).",
                )
            if self.dlq_trigger.dlq_trigger is not None:
                raise BlueprintError(
                    "Trigger.dlq_trigger", self.dlq_trigger.name, "cannot have its own dlq trigger."
                )
        if self.retry_strategy is not None and not self.at_least_once:
            raise BlueprintError(
                "Trigger.retry_strategy",
                self.retry_strategy,
                "has no effect without at_least_once=True (Argo acknowledges the event first).",
                "Set at_least_once=True or drop the retry strategy.",
            )
        if isinstance(self.policy, StatusPolicy) and not isinstance(self.action, HttpTrigger):
            raise BlueprintError(
                "Trigger.policy", self.policy, "status policies apply to http triggers."
            )

    def render(self) -> dict[str, Any]:
        template: dict[str, Any] = {"name": self.name, self.action.kind: self.action.render()}
        if self.conditions:
            template["conditions"] = self.conditions
        if self.conditions_reset:
            template["conditionsReset"] = [r.render() for r in self.conditions_reset]
        out: dict[str, Any] = {"template": template}
        if self.parameters:
            out["parameters"] = [p.render() for p in self.parameters]
        if self.policy is not None:
            out["policy"] = self.policy.render()
        if self.retry_strategy is not None:
            out["retryStrategy"] = self.retry_strategy.render()
        if self.rate_limit is not None:
            out["rateLimit"] = self.rate_limit.render()
        if self.at_least_once:
            out["atLeastOnce"] = True
        if self.dlq_trigger is not None:
            out["dlqTrigger"] = self.dlq_trigger.render()
        return out
