"""Reference stack ``snowflake``: changes to a Snowflake table start flows (AWS route).

Snowflake (stream, procedure, triggered task, outbound SNS notification integration) →
SNS → SQS → Argo SQS EventSource → bridge → Metaflow. Synthesizes offline: neither
provider is given credentials (the Snowflake provider reads them from the environment or
``~/.snowflake/config`` at plan time). Override the names with a ``"snowflake"`` section in
the ``MFB_SETTINGS`` file.
"""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.aws.identity import SqsConsumer
from metaflow_blueprints.blueprints.snowflake import PREVIEW_FEATURES, SnowflakeToMetaflow
from metaflow_blueprints.runtime import Construct, TerraformStack, provider_module
from stacks.aws import DEFAULTS as AWS_DEFAULTS
from stacks.common import kubernetes_and_random, metaflow_events

DEFAULTS: dict[str, Any] = {
    "organization_name": "ACMEORG",
    "account_name": "ANALYTICS",
    "role": "MFB_NOTIFIER",
    "database": "ANALYTICS",
    "schema": "SALES",
    "table": "ORDERS",
    "warehouse": "MFB_NOTIFY_WH",
    "range_column": "UPDATED_AT",
}


class SnowflakeStack(TerraformStack):
    """One blueprint: ``ANALYTICS.SALES.ORDERS`` changes → ``snowflake.orders.changed``."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        aws = {**AWS_DEFAULTS, **settings.get("aws", {})}
        snowflake = {**DEFAULTS, **settings.get("snowflake", {})}
        kubernetes_and_random(self, settings)
        provider_module("aws", "provider").AwsProvider(
            self,
            "aws",
            region=aws["region"],
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check="true",
            skip_region_validation=True,
        )
        provider_module("snowflake", "provider").SnowflakeProvider(
            self,
            "snowflake",
            organization_name=snowflake["organization_name"],
            account_name=snowflake["account_name"],
            role=snowflake["role"],
            preview_features_enabled=list(PREVIEW_FEATURES),
        )
        metaflow = metaflow_events(self, settings)
        self.orders = SnowflakeToMetaflow(
            self,
            "orders",
            metaflow=metaflow,
            event="snowflake.orders.changed",
            database=snowflake["database"],
            schema=snowflake["schema"],
            table=snowflake["table"],
            warehouse=snowflake["warehouse"],
            range_column=snowflake["range_column"],
            owner_role=snowflake["role"],
            consumer=SqsConsumer.irsa(
                oidc_provider_arn=aws["oidc_provider_arn"], issuer=aws["oidc_issuer"]
            ),
        )
