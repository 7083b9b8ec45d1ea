"""Reference stack ``aws``: S3 uploads (both delivery modes) and DynamoDB inserts start flows.

Synthesizes offline: the AWS provider has a region and no credentials, and skips the
calls it would make at configuration time. Override the example names with an ``"aws"``
section in the ``MFB_SETTINGS`` file.
"""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.aws.identity import SqsConsumer
from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow
from metaflow_blueprints.blueprints.s3 import S3ToMetaflow
from metaflow_blueprints.runtime import Construct, TerraformStack, provider_module
from stacks.common import kubernetes_and_random, metaflow_events

DEFAULTS: dict[str, Any] = {
    "region": "us-east-1",
    "oidc_provider_arn": (
        "arn:aws:iam::123456789012:oidc-provider/"
        "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    ),
    "oidc_issuer": "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
    "cluster_name": "ml-platform",
    "raw_bucket": "mfb-example-raw",
    "curated_bucket": "mfb-example-curated",
    "orders_table": "orders",
}


class AwsStack(TerraformStack):
    """Three blueprints: S3 notification (CMK-encrypted queue), S3 via EventBridge, DynamoDB."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        aws = {**DEFAULTS, **settings.get("aws", {})}
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
        metaflow = metaflow_events(self, settings)
        irsa = SqsConsumer.irsa(
            oidc_provider_arn=aws["oidc_provider_arn"], issuer=aws["oidc_issuer"]
        )

        # Direct S3 notification, hardened: customer-managed key, CSV files under uploads/.
        self.raw_uploads = S3ToMetaflow(
            self,
            "raw_uploads",
            metaflow=metaflow,
            bucket_name=aws["raw_bucket"],
            event="s3.raw.uploaded",
            consumer=irsa,
            prefix="uploads/",
            suffix=".csv",
            encryption="kms",
            max_receive_count=10,
        )
        # EventBridge delivery (no overlap limits), EKS Pod Identity.
        self.curated = S3ToMetaflow(
            self,
            "curated_tables",
            metaflow=metaflow,
            bucket_name=aws["curated_bucket"],
            event="s3.curated.created",
            consumer=SqsConsumer.pod_identity(cluster_name=aws["cluster_name"]),
            prefix="tables/",
            delivery="eventbridge",
        )
        # DynamoDB Streams -> Pipes -> SQS: new orders.
        self.orders = DynamoDbToMetaflow(
            self,
            "new_orders",
            metaflow=metaflow,
            table_name=aws["orders_table"],
            event="orders.created",
            consumer=irsa,
            keys={"order_id": "pk", "order_date": "sk"},
        )
