"""Reference stack ``vendor_webhooks``: dbt Cloud and Fivetran (and a generic webhook) start flows.

Settings (``MFB_SETTINGS`` JSON, merged one level deep): the generic webhook reads
``webhook`` like the ``webhook`` stack; ``dbt_cloud`` and ``fivetran`` default to
:data:`DBT_CLOUD` and :data:`FIVETRAN`. The allowlists below are documentation ranges
(TEST-NET): replace them with the vendors' published egress addresses for your region.

Both vendor webhooks verify signatures: their signing secrets are the sensitive Terraform
variables ``dbt_cloud_signing_secret`` and ``fivetran_signing_secret`` (``terraform apply
-var ...`` or ``TF_VAR_...``), never literals in ``cdk.tf.json``, and a verifier Deployment
checks every delivery before it reaches the EventSource.
"""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow
from metaflow_blueprints.runtime import Construct, TerraformStack, TerraformVariable
from stacks.common import kubernetes_and_random, metaflow_events
from stacks.webhook import data_updated_webhook, ingress

DBT_CLOUD: dict[str, Any] = {
    "event": "dbt.job.completed",
    "account_id": "43786",
    "job_ids": ["302418"],
    "environment_ids": None,
    "statuses": ["Success"],
    "allowed_source_ranges": ["198.51.100.0/24"],
    "register_webhook": False,
}
FIVETRAN: dict[str, Any] = {
    "event": "fivetran.sync.succeeded",
    "connector_ids": ["mystery_fabulous"],
    "group_ids": None,
    "statuses": ["SUCCESSFUL"],
    "allowed_source_ranges": ["192.0.2.0/24"],
    "register_webhook": False,
}


class VendorWebhooksStack(TerraformStack):
    """Three webhooks behind one host: generic (bearer token), dbt Cloud, Fivetran."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        kubernetes_and_random(self, settings)
        metaflow = metaflow_events(self, settings)
        hook = settings["webhook"]
        dbt = {**DBT_CLOUD, **settings.get("dbt_cloud", {})}
        fivetran = {**FIVETRAN, **settings.get("fivetran", {})}
        # The ``webhook`` stack's generic webhook (a second, independent instance).
        data_updated_webhook(self, metaflow, hook)
        DbtCloudToMetaflow(
            self,
            "dbt_cloud",
            metaflow=metaflow,
            event=dbt["event"],
            account_id=dbt["account_id"],
            job_ids=dbt["job_ids"],
            environment_ids=dbt["environment_ids"],
            statuses=tuple(dbt["statuses"]),
            ingress=ingress(hook, dbt["allowed_source_ranges"]),
            register_webhook=dbt["register_webhook"],
            signing_secret=None if dbt["register_webhook"] else _secret(self, "dbt_cloud"),
        )
        FivetranToMetaflow(
            self,
            "fivetran",
            metaflow=metaflow,
            event=fivetran["event"],
            connector_ids=fivetran["connector_ids"],
            group_ids=fivetran["group_ids"],
            statuses=tuple(fivetran["statuses"]),
            ingress=ingress(hook, fivetran["allowed_source_ranges"]),
            register_webhook=fivetran["register_webhook"],
            signing_secret=_secret(self, "fivetran"),
        )


def _secret(stack: Construct, vendor: str) -> str:
    """A sensitive variable for a vendor's signing secret."""
    variable = TerraformVariable(
        stack,
        f"{vendor}_signing_secret",
        type="string",
        sensitive=True,
        nullable=False,
        description=f"Signing secret of the {vendor} webhook (the vendor shows it).",
    )
    return str(variable.string_value)
