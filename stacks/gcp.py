"""Reference stack ``gcp``: a GCS upload and a Pub/Sub message each start flows.

Example settings live here (``DEFAULTS``); override them under the ``"gcp"`` key of the
``MFB_SETTINGS`` file, e.g. ``{"gcp": {"project": "my-project", "bucket": "my-raw"}}``.
The google provider gets project and region only (no credentials), so the stack
synthesizes offline; ``terraform apply`` uses Application Default Credentials.
"""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.blueprints.gcs import GcsToMetaflow
from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
from metaflow_blueprints.runtime import Construct, TerraformOutput, TerraformStack, provider_module
from stacks.common import kubernetes_and_random, metaflow_events

DEFAULTS: dict[str, Any] = {
    "project": "acme-ml-prod",
    "project_number": None,  # None: read with a google_project data source
    "region": "europe-west1",
    "bucket": "acme-raw-landing",
    "prefix": "uploads/",
    "suffix": ".parquet",
    "gcs_event": "gcs.object.finalized",
    "pubsub_event": "orders.published",
    "orders_topic": "orders",  # an existing topic the order service publishes to
    # Customer-managed key for the topics the stack creates (checkov CKV_GCP_83).
    "kms_key_name": (
        "projects/acme-security/locations/europe-west1/keyRings/pubsub/cryptoKeys/pubsub"
    ),
}


def gcp_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """``DEFAULTS`` overlaid with ``settings["gcp"]``."""
    return {**DEFAULTS, **(settings.get("gcp") or {})}


class GcpStack(TerraformStack):
    """``GcsToMetaflow`` on ``gs://<bucket>/<prefix>*<suffix>`` and ``PubSubToMetaflow``."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        kubernetes_and_random(self, settings)
        gcp = gcp_settings(settings)
        provider_module("google", "provider").GoogleProvider(
            self, "google", project=gcp["project"], region=gcp["region"]
        )
        metaflow = metaflow_events(self, settings)
        uploads = GcsToMetaflow(
            self,
            "uploads",
            metaflow=metaflow,
            bucket_name=gcp["bucket"],
            event=gcp["gcs_event"],
            project=gcp["project"],
            project_number=gcp["project_number"],
            prefix=gcp["prefix"],
            suffix=gcp["suffix"],
            kms_key_name=gcp["kms_key_name"],
        )
        orders = PubSubToMetaflow(
            self,
            "orders",
            metaflow=metaflow,
            event=gcp["pubsub_event"],
            project=gcp["project"],
            project_number=gcp["project_number"],
            topic_name=gcp["orders_topic"],
            payload={
                "order_id": "body.order_id",
                "customer_id": "body.customer.id",
                "region": "attributes.region",
            },
            attributes_filter={"kind": "order"},
            kms_key_name=gcp["kms_key_name"],
        )
        for blueprint in (uploads, orders):
            TerraformOutput(
                self,
                f"{blueprint.node.id}_subscription",
                value=blueprint.subscription.subscription.id,
                description="Pub/Sub subscription the event source pulls.",
            )
            TerraformOutput(
                self,
                f"{blueprint.node.id}_service_account",
                value=blueprint.identity.email,
                description="Google service account of the event source.",
            )
