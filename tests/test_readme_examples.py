"""The README's usage snippets, run as a user would write them (guards against API drift)."""

from __future__ import annotations

from typing import Any

from metaflow_blueprints import (
    DbtCloudToMetaflow,
    DynamoDbToMetaflow,
    FivetranToMetaflow,
    GcsToMetaflow,
    MetaflowEvents,
    PubSubToMetaflow,
    S3ToMetaflow,
    SnowflakeToMetaflow,
    SqsConsumer,
    WebhookToMetaflow,
)
from metaflow_blueprints.argo import DataFilter
from metaflow_blueprints.blueprints.snowflake import PREVIEW_FEATURES
from metaflow_blueprints.runtime import App, TerraformStack, provider_module, synth_stack
from tests.helpers import manifests


def test_every_readme_snippet_synthesizes_together() -> None:
    stack = TerraformStack(App(), "events")
    providers: list[tuple[str, str, dict[str, Any]]] = [
        ("kubernetes", "KubernetesProvider", {"config_path": "~/.kube/config"}),
        ("random", "RandomProvider", {}),
        ("aws", "AwsProvider", {"region": "us-east-1"}),
        ("google", "GoogleProvider", {"project": "acme-ml"}),
        ("snowflake", "SnowflakeProvider", {"preview_features_enabled": list(PREVIEW_FEATURES)}),
    ]
    for name, cls, config in providers:
        getattr(provider_module(name, "provider"), cls)(stack, name, **config)
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    WebhookToMetaflow(
        stack,
        "data_updated",
        metaflow=metaflow,
        event="data.updated",
        payload={"table": "table", "partition": "partition"},
        filters=[DataFilter.path("body.status").string().equals("ready")],
    )
    irsa = SqsConsumer.irsa(
        oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        issuer="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
    )
    S3ToMetaflow(
        stack, "uploads", metaflow=metaflow, bucket_name="raw", event="s3.raw.uploaded",
        consumer=irsa, prefix="uploads/", suffix=".csv",
    )  # fmt: skip
    DynamoDbToMetaflow(
        stack, "orders", metaflow=metaflow, table_name="orders", event="orders.created",
        consumer=irsa, keys={"order_id": "pk"},
    )  # fmt: skip
    GcsToMetaflow(
        stack, "gcs_uploads", metaflow=metaflow, project="acme-ml", bucket_name="acme-raw",
        event="gcs.object.finalized", prefix="uploads/", suffix=".parquet",
    )  # fmt: skip
    PubSubToMetaflow(
        stack, "pubsub_orders", metaflow=metaflow, project="acme-ml", topic_name="orders",
        event="orders.published", payload={"order_id": "body.order_id"},
    )  # fmt: skip
    SnowflakeToMetaflow(
        stack, "orders_changed", metaflow=metaflow, event="snowflake.orders.changed",
        database="ANALYTICS", schema="SALES", table="ORDERS",
        warehouse="MFB_NOTIFY_WH", consumer=irsa,
    )  # fmt: skip
    DbtCloudToMetaflow(
        stack, "dbt", metaflow=metaflow, event="dbt.job.completed",
        account_id="43786", job_ids=["302418"],
    )  # fmt: skip
    FivetranToMetaflow(
        stack, "fivetran", metaflow=metaflow, event="fivetran.sync.succeeded",
        connector_ids=["mystery_fabulous"],
    )  # fmt: skip
    terraform = synth_stack(stack)
    events = {
        s["metadata"]["annotations"]["metaflow-blueprints/metaflow-event"]
        for s in manifests(terraform, "Sensor")
    }
    assert events == {
        "data.updated",
        "s3.raw.uploaded",
        "orders.created",
        "gcs.object.finalized",
        "orders.published",
        "snowflake.orders.changed",
        "dbt.job.completed",
        "fivetran.sync.succeeded",
    }
