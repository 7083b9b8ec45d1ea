"""A typed model of Argo Events objects that renders plain dicts (no cdktf, no clouds)."""

from metaflow_blueprints.argo.common import SecretKeyRef
from metaflow_blueprints.argo.eventsource import (
    EventSource,
    PubSubEvent,
    SnsEvent,
    SqsEvent,
    WebhookEvent,
)
from metaflow_blueprints.argo.filters import (
    ContextFilter,
    DataFilter,
    EventFilters,
    ExprFilter,
    ScriptFilter,
    TimeFilter,
    Transform,
)
from metaflow_blueprints.argo.names import check_event_name, check_object_name, derive_name
from metaflow_blueprints.argo.sensor import Dependency, Sensor
from metaflow_blueprints.argo.triggers import (
    HttpTrigger,
    K8sTrigger,
    LogTrigger,
    ParamSource,
    RateLimit,
    ResetByTime,
    RetryStrategy,
    StatusPolicy,
    Trigger,
    TriggerConditions,
    TriggerParameter,
)

__all__ = [
    "ContextFilter",
    "DataFilter",
    "Dependency",
    "EventFilters",
    "EventSource",
    "ExprFilter",
    "HttpTrigger",
    "K8sTrigger",
    "LogTrigger",
    "ParamSource",
    "PubSubEvent",
    "RateLimit",
    "ResetByTime",
    "RetryStrategy",
    "ScriptFilter",
    "SecretKeyRef",
    "Sensor",
    "SnsEvent",
    "SqsEvent",
    "StatusPolicy",
    "TimeFilter",
    "Transform",
    "Trigger",
    "TriggerConditions",
    "TriggerParameter",
    "WebhookEvent",
    "check_event_name",
    "check_object_name",
    "derive_name",
]
