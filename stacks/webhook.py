"""Reference stack ``webhook``: a generic JSON webhook starts flows on ``data.updated``."""

from __future__ import annotations

from typing import Any

from metaflow_blueprints.argo import DataFilter
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.ingress.ingress import WebhookIngress
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import Construct, TerraformStack
from stacks.common import kubernetes_and_random, metaflow_events


def ingress(hook: dict[str, Any], allowed_source_ranges: list[str]) -> WebhookIngress:
    """The example Ingress (host, TLS, class) with a per-webhook source-IP allowlist."""
    return WebhookIngress(
        host=hook["ingress_host"],
        tls_secret_name=hook["ingress_tls_secret"],
        class_name=hook["ingress_class"],
        allowed_source_ranges=allowed_source_ranges,
    )


def data_updated_webhook(
    scope: Construct, metaflow: MetaflowEvents, hook: dict[str, Any]
) -> WebhookToMetaflow:
    """``POST {"delivery_id", "table", "partition", "status": "ready"}`` -> ``data.updated``."""
    return WebhookToMetaflow(
        scope,
        "data_updated",
        metaflow=metaflow,
        event=hook["event"],
        payload={"table": "table", "partition": "partition"},
        filters=[DataFilter.at("body.status").string().equals("ready")],
        id_path="delivery_id",
        ingress=ingress(hook, hook["allowed_source_ranges"]),
    )


class WebhookStack(TerraformStack):
    """The smallest complete example: one generic webhook blueprint."""

    def __init__(self, scope: Construct, id: str, settings: dict[str, Any]) -> None:
        super().__init__(scope, id)
        kubernetes_and_random(self, settings)
        data_updated_webhook(self, metaflow_events(self, settings), settings["webhook"])
