"""The Metaflow event contract and the bridge Sensor (no cdktf, no clouds)."""

from metaflow_blueprints.metaflow.bridge import Bridge, MetaflowTarget, default_webhook_url
from metaflow_blueprints.metaflow.contract import (
    ENVELOPE_KEYS,
    RESERVED_PARAMETER_NAMES,
    bridge_sensor_name,
    check_event,
    check_payload_key,
    trigger_dependency_name,
)
from metaflow_blueprints.metaflow.payload import PayloadField

__all__ = [
    "ENVELOPE_KEYS",
    "RESERVED_PARAMETER_NAMES",
    "Bridge",
    "MetaflowTarget",
    "PayloadField",
    "bridge_sensor_name",
    "check_event",
    "check_payload_key",
    "default_webhook_url",
    "trigger_dependency_name",
]
