"""metaflow-blueprints: start Metaflow flows on real-world events.

Construct library for CDK for Terraform. The public constructs are re-exported lazily
from their modules (``from metaflow_blueprints import WebhookToMetaflow``) so that
importing the package does not start Node.js or load provider bindings. It does make later
imports of prebuilt provider packages lazy (:mod:`metaflow_blueprints.lazy_providers`): import
it before ``cdktf``/``cdktn`` and the provider packages.
"""

from __future__ import annotations

import importlib
from typing import Any

from metaflow_blueprints import jsii_channel, lazy_providers, node

__version__ = "0.1.0"

# Before anything starts jsii: Node.js from the wheel (without cdktn's creation stacks), lazy
# provider packages (Python import hook + Node.js preload) and a direct channel to the jsii
# kernel for the rest of the process. See node, lazy_providers and jsii_channel.
node.use_wheel_node()
node.skip_creation_stacks()
lazy_providers.install()
jsii_channel.install()

_EXPORTS: dict[str, str] = {
    "S3ToMetaflow": "metaflow_blueprints.blueprints.s3",
    "DynamoDbToMetaflow": "metaflow_blueprints.blueprints.dynamodb",
    "EventQueue": "metaflow_blueprints.aws.queue",
    "SqsConsumer": "metaflow_blueprints.aws.identity",
    "GcsToMetaflow": "metaflow_blueprints.blueprints.gcs",
    "PubSubToMetaflow": "metaflow_blueprints.blueprints.pubsub",
    "SnowflakeToMetaflow": "metaflow_blueprints.blueprints.snowflake",
    "MetaflowEvents": "metaflow_blueprints.metaflow_events",
    "ArgoEventsPlatform": "metaflow_blueprints.platform.argo_events",
    "MetaflowEventsSetup": "metaflow_blueprints.platform.metaflow_setup",
    "WebhookToMetaflow": "metaflow_blueprints.blueprints.webhook",
    "WebhookIngress": "metaflow_blueprints.ingress.ingress",
    "PayloadField": "metaflow_blueprints.metaflow.payload",
    "DbtCloudToMetaflow": "metaflow_blueprints.blueprints.dbt_cloud",
    "FivetranToMetaflow": "metaflow_blueprints.blueprints.fivetran",
    "SecretPath": "metaflow_blueprints.ingress.secret_path",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'metaflow_blueprints' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
