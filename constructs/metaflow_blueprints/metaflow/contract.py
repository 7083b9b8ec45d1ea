"""The Metaflow side of the contract (metaflow-contract.md §2-§4, §10).

What a bridge must respect so that a flow decorated with ``@trigger(event=E)`` starts and
``current.trigger`` works: the event name rules, the top-level payload key rules, the
envelope keys that belong to Metaflow, and sensor names Metaflow will never use.
"""

from __future__ import annotations

import base64
import hashlib
import re

from metaflow_blueprints import rules
from metaflow_blueprints.argo.names import derive_name
from metaflow_blueprints.errors import BlueprintError, is_token
from metaflow_blueprints.rules import OBJECT_NAME_MAX

#: Keys of the payload envelope that the bridge fills itself (``ArgoEvent.publish``).
ENVELOPE_KEYS = frozenset({"name", "id", "timestamp", "utc_date", "generated-by-metaflow"})
#: Names ``metaflow.Parameter`` refuses ("is a reserved word"; Metaflow 2.19, where the CLI
#: spelling with '-' is reserved too) plus ``script``, refused by ``argo-workflows create``.
#: A payload key may be one of these; the flow then maps it to a parameter of another name:
#: ``@trigger(event={"name": E, "parameters": {"dbt_run_id": "run_id"}})``.
RESERVED_PARAMETER_NAMES = frozenset(
    {
        "params", "with", "tag", "namespace", "obj", "tags", "decospecs", "run-id-file",
        "run_id_file", "max-num-splits", "max_num_splits", "max-workers", "max_workers",
        "max-log-size", "max_log_size", "user-namespace", "user_namespace", "run-id", "run_id",
        "task-id", "task_id", "runner-attribute-file", "runner_attribute_file", "script",
    }
)  # fmt: skip
#: Prefix of every bridge sensor name. Metaflow names its sensors after the workflow
#: template with '.' -> '-', built from non-empty segments, so it never produces '--'.
BRIDGE_SENSOR_PREFIX = "mfb--"
#: Default in-cluster URL of Metaflow's webhook EventSource (reference deployments).
DEFAULT_WEBHOOK_PORT = 12000


def check_event(field: str, value: str) -> str:
    """Raise unless ``value`` is a valid Metaflow event name; return it."""
    return rules.METAFLOW_EVENT.check(field, value)


def check_payload_key(field: str, value: str) -> str:
    """Raise unless ``value`` can be a top-level payload key mapped by ``@trigger``."""
    rules.PAYLOAD_KEY.check(field, value)
    if value in ENVELOPE_KEYS:
        raise BlueprintError(
            field,
            value,
            "is one of the envelope keys the bridge sets itself "
            f"({', '.join(sorted(ENVELOPE_KEYS))}).",
            "Pick another key name.",
        )
    return value


def check_bridge_sensor_name(field: str, value: str) -> str:
    """Raise unless ``value`` is a sensor name that cannot collide with Metaflow's."""
    if is_token(value):
        return value
    if not value.startswith(BRIDGE_SENSOR_PREFIX):
        raise BlueprintError(
            field,
            value,
            f"must start with {BRIDGE_SENSOR_PREFIX!r}.",
            "Metaflow replaces and deletes sensors named after its flows; the prefix "
            "guarantees no flow deployment ever touches a bridge sensor.",
        )
    from metaflow_blueprints.argo.names import check_object_name

    return check_object_name(field, value)


def bridge_sensor_name(*parts: str) -> str:
    """Derive a bridge sensor name from construct path parts."""
    stem = derive_name(*parts, max_length=OBJECT_NAME_MAX - len(BRIDGE_SENSOR_PREFIX))
    return BRIDGE_SENSOR_PREFIX + stem


def trigger_dependency_name(event: str) -> str:
    """The dependency/parameter name Metaflow derives for ``@trigger(event=event)``.

    Same algorithm as ``sanitized_name`` in Metaflow's ``argo_workflows.py``: the event
    name without ``.-@+``, then ``_`` and 4 lower-case base32 characters of its SHA-1.
    """
    cleaned = re.sub(r"[.\-@+]", "", event)
    digest = base64.b32encode(hashlib.sha1(event.encode("utf-8")).digest()).decode()
    return f"{cleaned}_{digest[:4].lower()}"
