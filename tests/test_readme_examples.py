"""The README's usage snippets, run as a user would write them (guards against API drift)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
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
from metaflow_blueprints.runtime import (
    FRAMEWORK,
    PROVIDERS,
    App,
    TerraformStack,
    provider_module,
    synth_stack,
)
from tests.helpers import REPO, manifests


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
        filters=[DataFilter.at("body.status").string().equals("ready")],
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


def _own_app_snippet() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Use it in your own app", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_own_app_snippet_runs_verbatim_on_the_installed_framework(tmp_path: Path) -> None:
    code = _own_app_snippet()
    assert code.startswith("import metaflow_blueprints")  # the hook comes first
    if FRAMEWORK.name == "cdktn":  # the README's rule: only the package prefix changes
        code = code.replace("cdktf_cdktf_provider_", "cdktn_provider_")
        code = code.replace("from cdktf import", "from cdktn import")
    probe = (
        "\nimport sys\n"
        f"print(sum(m.startswith('{PROVIDERS['kubernetes']}.') for m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code + probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "CDKTF_OUTDIR"},
    )
    # Lazy: the resource modules the snippet uses (Secret, ServiceAccount, Role, RoleBinding,
    # provider, ...: 14 today), not the package's ~300.
    assert 1 <= int(result.stdout.split()[-1]) < 30
    (stack,) = (tmp_path / "cdktf.out" / "stacks").iterdir()
    terraform = json.loads((stack / "cdk.tf.json").read_text())
    sensors = manifests(terraform, "Sensor")
    assert [
        s["metadata"]["annotations"]["metaflow-blueprints/metaflow-event"] for s in sensors
    ] == ["data.updated"]
