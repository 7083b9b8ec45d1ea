"""Registering a webhook on the vendor side with Terraform providers that have no cdktf bindings.

``dbtcloud_webhook`` (provider ``dbt-labs/dbtcloud``) and ``fivetran_webhook`` (provider
``fivetran/fivetran``) are written with cdktf's generic ``TerraformResource``. The
constructs declare the provider requirement (``terraform.required_providers``) but never
configure the provider (design rule 9): give credentials in the stack, or through the
providers' environment variables (``DBT_CLOUD_ACCOUNT_ID``, ``DBT_CLOUD_TOKEN``,
``DBT_CLOUD_HOST_URL``; ``FIVETRAN_APIKEY``, ``FIVETRAN_APISECRET``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metaflow_blueprints.runtime import (
    Construct,
    LibraryConstruct,
    TerraformResource,
    TerraformStack,
)

#: Terraform provider name -> (registry source, version constraint).
VENDOR_PROVIDERS: dict[str, tuple[str, str]] = {
    "dbtcloud": ("dbt-labs/dbtcloud", ">= 0.3"),
    "fivetran": ("fivetran/fivetran", ">= 1.1"),
}


def require_provider(scope: Construct, name: str) -> None:
    """Declare ``terraform.required_providers.<name>`` in the stack of ``scope``."""
    source, version = VENDOR_PROVIDERS[name]
    TerraformStack.of(scope).add_override(
        f"terraform.required_providers.{name}", {"source": source, "version": version}
    )


def _resource(
    scope: Construct, id: str, type_: str, attributes: dict[str, Any]
) -> TerraformResource:
    provider = type_.split("_", 1)[0]
    require_provider(scope, provider)
    resource = TerraformResource(
        scope,
        id,
        terraform_resource_type=type_,
        terraform_generator_metadata={"provider_name": provider},
    )
    for key, value in attributes.items():
        if value is not None:
            resource.add_override(key, value)
    return resource


class DbtCloudWebhook(LibraryConstruct):
    """A ``dbtcloud_webhook`` subscribed to ``job.run.completed``.

    dbt Cloud generates the signing secret; it is readable as ``hmac_secret`` (sensitive).

    Attributes: ``webhook`` (the generic resource), ``hmac_secret`` (token).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        url: str,
        job_ids: Sequence[str] | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.webhook = _resource(
            self,
            "webhook",
            "dbtcloud_webhook",
            {
                "name": name,
                "description": description,
                "client_url": url,
                "event_types": ["job.run.completed"],
                # Terraform converts the numeric strings to the provider's list(number).
                "job_ids": list(job_ids) if job_ids else None,
                "active": True,
            },
        )
        self.hmac_secret: str = self.webhook.get_string_attribute("hmac_secret")


class FivetranWebhook(LibraryConstruct):
    """A ``fivetran_webhook`` subscribed to ``sync_end``: account-wide, or for one group.

    Attributes: ``webhook`` (the generic resource).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        url: str,
        secret: str,
        group_id: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.webhook = _resource(
            self,
            "webhook",
            "fivetran_webhook",
            {
                "type": "group" if group_id is not None else "account",
                "group_id": group_id,
                "url": url,
                "events": ["sync_end"],
                "active": True,
                "secret": secret,
            },
        )
