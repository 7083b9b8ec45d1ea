"""GCP naming rules and member strings shared by the GCP constructs (no Argo, no Metaflow)."""

from __future__ import annotations

import re

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import is_unresolved

#: Labels put on every GCP resource the library creates.
LABELS = {"managed-by": "metaflow-blueprints"}

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
RESOURCE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$")
_RESOURCE_PATH = re.compile(r"^projects/([^/]+)/(topics|subscriptions)/([^/]+)$")
ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$")
_KMS_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")


def check_project(field: str, value: str) -> str:
    """Raise unless ``value`` is a GCP project id (6-30 characters); return it."""
    if is_unresolved(value):
        return value
    if not isinstance(value, str) or not PROJECT_ID.fullmatch(value):
        raise BlueprintError(
            field,
            value,
            "is not a GCP project id.",
            "Use the project id (6-30 lower-case letters, digits or '-', starting with a "
            "letter), not the project name or number.",
        )
    return value


def check_resource_id(field: str, value: str) -> str:
    """Raise unless ``value`` is a Pub/Sub topic or subscription id; return it."""
    if is_unresolved(value):
        return value
    if (
        not isinstance(value, str)
        or not RESOURCE_ID.fullmatch(value)
        or value.lower().startswith("goog")
    ):
        raise BlueprintError(
            field,
            value,
            "is not a valid Pub/Sub resource id.",
            "Use 3-255 characters: letters, digits and '-_.~+%', starting with a letter and "
            "not with 'goog'.",
        )
    return value


def topic_path(field: str, value: str, project: str) -> str:
    """``projects/P/topics/T`` for a topic id or full path (checked unless a token)."""
    if is_unresolved(value):
        return value
    if not isinstance(value, str):
        raise BlueprintError(field, value, "must be a topic id or 'projects/P/topics/T'.")
    match = _RESOURCE_PATH.fullmatch(value)
    if match:
        if match.group(2) != "topics":
            raise BlueprintError(field, value, "names a subscription, not a topic.")
        check_project(field, match.group(1))
        check_resource_id(field, match.group(3))
        return value
    check_resource_id(field, value)
    return f"projects/{project}/topics/{value}"


def check_account_id(field: str, value: str) -> str:
    """Raise unless ``value`` is a Google service-account id (6-30 characters)."""
    if is_unresolved(value):
        return value
    if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
        raise BlueprintError(
            field,
            value,
            "is not a valid service account id.",
            "Use 6-30 lower-case letters, digits and '-', starting with a letter and ending "
            "with a letter or digit.",
        )
    return value


def check_kms_key(field: str, value: str | None) -> str | None:
    """Raise unless ``value`` is None or a full Cloud KMS crypto key name."""
    if value is None or is_unresolved(value):
        return value
    if not isinstance(value, str) or not _KMS_KEY.fullmatch(value):
        raise BlueprintError(
            field,
            value,
            "is not a Cloud KMS key name.",
            "Use 'projects/P/locations/L/keyRings/R/cryptoKeys/K'.",
        )
    return value


def pubsub_service_agent(project_number: str) -> str:
    """IAM member of the project's Pub/Sub service agent."""
    return f"serviceAccount:service-{project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"


def workload_identity_member(pool: str, namespace: str, service_account: str) -> str:
    """IAM member of a Kubernetes service account under GKE Workload Identity."""
    return f"serviceAccount:{pool}[{namespace}/{service_account}]"
