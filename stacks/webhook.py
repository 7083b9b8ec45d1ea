"""Reference stack ``webhook``: a generic JSON webhook starts flows on ``data.updated``."""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.argo import DataFilter
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.runtime import Construct, TerraformStack
from metaflow_blueprints.webhooks.ingress import WebhookIngress
from stacks.common import kubernetes_and_random, metaflow_events


class WebhookStack(TerraformStack):
    """One webhook: ``POST {"table": ..., "partition": ..., "status": "ready"}``."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        kubernetes_and_random(self, settings)
        hook = settings["webhook"]
        WebhookToMetaflow(
            self,
            "data_updated",
            metaflow=metaflow_events(self, settings),
            event=hook["event"],
            payload={"table": "table", "partition": "partition"},
            filters=[DataFilter.path("body.status").string().equals("ready")],
            id_path="delivery_id",
            ingress=WebhookIngress(
                host=hook["ingress_host"],
                tls_secret_name=hook["ingress_tls_secret"],
                class_name=hook["ingress_class"],
                allowed_source_ranges=hook["allowed_source_ranges"],
            ),
        )
