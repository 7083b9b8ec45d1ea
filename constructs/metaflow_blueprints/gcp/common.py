"""GCP naming rules and member strings shared by the GCP constructs (no Argo, no Metaflow)."""

from __future__ import annotations

from typing import Any

from metaflow_blueprints import rules
from metaflow_blueprints.errors import is_token
from metaflow_blueprints.runtime import Construct, provider_module

#: Labels put on every GCP resource the library creates.
LABELS = {"managed-by": "metaflow-blueprints"}
PUBLISHER = "roles/pubsub.publisher"


def check_project(field: str, value: str) -> str:
    """Raise unless ``value`` is a GCP project id (6-30 characters); return it."""
    return rules.GCP_PROJECT.check(field, value)


def check_resource_id(field: str, value: str) -> str:
    """Raise unless ``value`` is a Pub/Sub topic or subscription id; return it."""
    return rules.check(field, value, rules.PUBSUB_ID)


def topic_path(field: str, value: str, project: str) -> str:
    """``projects/P/topics/T`` for a topic id or full path (checked unless a token)."""
    if is_token(value):
        return value
    rules.check(field, value, rules.PUBSUB_TOPIC)
    return value if value.startswith("projects/") else f"projects/{project}/topics/{value}"


def check_account_id(field: str, value: str) -> str:
    """Raise unless ``value`` is a Google service-account id (6-30 characters)."""
    return rules.GCP_SERVICE_ACCOUNT_ID.check(field, value)


def check_kms_key(field: str, value: str | None) -> str | None:
    """Raise unless ``value`` is None or a full Cloud KMS crypto key name."""
    return value if value is None else rules.GCP_KMS_KEY.check(field, value)


def pubsub_service_agent(project_number: str) -> str:
    """IAM member of the project's Pub/Sub service agent."""
    return f"serviceAccount:service-{project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"


def workload_identity_member(pool: str, namespace: str, service_account: str) -> str:
    """IAM member of a Kubernetes service account under GKE Workload Identity."""
    return f"serviceAccount:{pool}[{namespace}/{service_account}]"


def grant_publisher(scope: Construct, id: str, *, project: str, topic: str, member: str) -> Any:
    """``roles/pubsub.publisher`` for ``member`` on ``topic`` (a topic name) only."""
    iam_topic = provider_module("google", "pubsub_topic_iam_member")
    return iam_topic.PubsubTopicIamMember(
        scope, id, project=project, topic=topic, role=PUBLISHER, member=member
    )
