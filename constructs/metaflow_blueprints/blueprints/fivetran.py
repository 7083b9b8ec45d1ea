"""``FivetranToMetaflow``: a finished Fivetran connector sync starts Metaflow flows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Unpack

from metaflow_blueprints.argo import DataFilter, SecretKeyRef
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.metaflow.payload import jq_getpath
from metaflow_blueprints.props import checked, group_values
from metaflow_blueprints.runtime import Construct, provider_module
from metaflow_blueprints.sources.vendor_registration import FivetranWebhook
from metaflow_blueprints.sources.vendor_webhook import (
    VendorWebhook,
    VendorWebhookProps,
    check_values,
    epoch_from,
    exact_match,
    payload_equals,
    text_field,
)

#: The Fivetran event this blueprint listens to (sent for successful and failed syncs).
EVENT_TYPE = "sync_end"
_STATUS = re.compile(r"^[A-Z][A-Z_]*$")

#: group_id: ``destination_group_id``, falling back to the older ``group_id``.
GROUP_ID = PayloadField.expression(
    f"({jq_getpath(['body', 'destination_group_id'])} // {jq_getpath(['body', 'group_id'])})"
    " | if . == null then null else tostring end"
)


def fivetran_payload() -> dict[str, PayloadField]:
    """The payload the bridge posts (ids and status required; names and time optional)."""
    return {
        "connector_id": text_field("connector_id"),
        "connector_name": text_field("connector_name", required=False),
        "connector_type": text_field("connector_type", required=False),
        "group_id": GROUP_ID,
        "sync_id": text_field("sync_id"),
        "status": text_field("data.status"),
        "created": text_field("created", required=False),
    }


class FivetranToMetaflow(VendorWebhook):
    """Start every flow with ``@trigger(event=event)`` when a Fivetran sync ends.

    Creates an Argo webhook EventSource at an unguessable path (Fivetran cannot send a
    bearer token and its ``X-Fivetran-Signature-256`` HMAC cannot be checked inside Argo
    Events: see docs/vendor_webhooks.md), with a signing secret a signature verifier in front of
    it, an optional Ingress, and the bridge Sensor. The bridge
    only passes ``event == "sync_end"`` whose ``data.status`` is in ``statuses`` (and the
    given connectors/groups), all anchored exact matches: ``test`` events and failed syncs
    start nothing by default. It posts ``connector_id``, ``connector_name``,
    ``connector_type``, ``group_id`` (``destination_group_id``, else the older
    ``group_id``), ``sync_id``, ``status``, ``created`` (the names, type, group and
    ``created`` are left out when absent); the event ``id`` is the ``sync_id`` and
    ``timestamp`` is ``created``.

    :param event: Metaflow event name, e.g. ``"fivetran.sync.succeeded"``.
    :param connector_ids: connector ids to react to. Default: every connector that reaches
        this webhook.
    :param group_ids: destination group ids. Default: every group.
    :param statuses: ``data.status`` values that start flows. Default ``("SUCCESSFUL",)``
        (success is matched positively: failure spellings vary).
    :param register_webhook: create ``fivetran_webhook`` resources (provider
        ``fivetran/fivetran``, declared in ``required_providers``; configure it in the stack
        or with ``FIVETRAN_APIKEY``/``FIVETRAN_APISECRET``) for ``sync_end``: one per group in
        ``group_ids``, else one account-wide. They sign with ``signing_secret`` or, without
        it, a generated one; either is stored in the ``<name>-signing`` Secret. Needs
        ``ingress``. Default False: register the ``external_url`` output by hand (REST API
        ``POST /v1/webhooks/account`` or ``/group/{id}``).
    :param signing_secret: the webhook's signing secret: a sensitive ``TerraformVariable``
        value (stored in Secret ``<name>-signing``) or ``SecretKeyRef`` of an existing Secret
        (not with ``register_webhook``). A literal string is refused: it would be written
        into ``cdk.tf.json``. Default: none (generated when ``register_webhook``).

    The endpoint props are the
    :class:`~metaflow_blueprints.sources.vendor_webhook.VendorWebhookOptions` group (flat
    keyword arguments); the entries above say what they mean for this vendor.

    Attributes: ``name``, ``namespace``, ``verifier`` (or None), ``signing_secret_ref``,
    ``event_source``, ``sensor``, ``secret_path``, ``ingress`` (or None),
    ``signing_secret`` (or None), ``webhooks`` (list of ``FivetranWebhook``), ``url`` and
    ``external_url`` (sensitive Terraform expressions; outputs are sensitive).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        connector_ids: Sequence[str] | None = None,
        group_ids: Sequence[str] | None = None,
        statuses: Sequence[str] = ("SUCCESSFUL",),
        **props: Unpack[VendorWebhookProps],
    ) -> None:
        values = group_values(VendorWebhookProps, props)
        register_webhook, signing_secret = values["register_webhook"], values["signing_secret"]
        connectors = check_values("connector_ids", connector_ids)
        groups = check_values("group_ids", group_ids)
        wanted = check_values(
            "statuses",
            statuses,
            pattern=_STATUS,
            hint="Fivetran statuses are upper case, e.g. 'SUCCESSFUL'.",
        )
        if register_webhook and isinstance(signing_secret, SecretKeyRef):
            raise BlueprintError(
                "signing_secret",
                signing_secret,
                "is an existing Secret, but register_webhook=True must send Fivetran the value.",
                "Pass a sensitive TerraformVariable's value, or omit it to generate one.",
            )
        filters: list[Filter] = [
            DataFilter.at("body.event").string().equals(EVENT_TYPE),
            exact_match("body.data.status", wanted or (), _STATUS),
        ]
        if connectors:
            filters.append(payload_equals("connector_id", connectors))
        if groups:
            filters.append(payload_equals("group_id", groups))
        super().__init__(
            scope,
            id,
            payload=fivetran_payload(),
            id_field=text_field("sync_id"),
            timestamp_jq=epoch_from("created"),
            filters=filters,
            vendor="fivetran",
            **props,
        )
        self.webhooks: list[FivetranWebhook] = []
        if register_webhook and self.external_url is not None:
            secret = signing_secret if isinstance(signing_secret, str) else None
            if secret is None:
                password = provider_module("random", "password")
                generated = password.Password(
                    self, "signing_secret_value", length=48, special=False
                )
                secret = generated.result
                self.store_signing_secret(secret)
            targets: Sequence[str | None] = groups or (None,)
            for index, group in enumerate(targets):
                self.webhooks.append(
                    FivetranWebhook(
                        self,
                        "webhook" if group is None else f"webhook_{index}",
                        url=self.external_url,
                        secret=secret,
                        group_id=group,
                    )
                )
