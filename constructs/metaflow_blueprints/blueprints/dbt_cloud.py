"""``DbtCloudToMetaflow``: a finished dbt Cloud job run starts Metaflow flows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Unpack

from metaflow_blueprints import rules
from metaflow_blueprints.argo import DataFilter
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.props import checked, group_values
from metaflow_blueprints.runtime import Construct, Fn, is_unresolved
from metaflow_blueprints.sources.vendor_registration import DbtCloudWebhook
from metaflow_blueprints.sources.vendor_webhook import (
    PAYLOAD_ROOT,
    VendorWebhook,
    VendorWebhookProps,
    check_values,
    epoch_from,
    exact_match,
    payload_equals,
    text_field,
)

#: The dbt Cloud event this blueprint listens to (success or failure, after artifacts).
EVENT_TYPE = "job.run.completed"
#: ``data.runStatus`` values dbt Cloud sends on ``job.run.completed``.
RUN_STATUSES = ("Success", "Errored", "Cancelled")
_RUN_STATUS = re.compile("^(?:" + "|".join(RUN_STATUSES) + ")$")
NUMERIC_ID = re.compile(str(rules.DBT_NUMERIC_ID.pattern))
_HINT = "dbt Cloud ids are numbers written as strings, e.g. '12345'."

#: Payload key -> path in the webhook body (``data.*`` is dbt's ``data`` object).
PAYLOAD_PATHS = {
    "account_id": "accountId",
    "project_id": "data.projectId",
    "environment_id": "data.environmentId",
    "job_id": "data.jobId",
    "job_name": "data.jobName",
    "run_id": "data.runId",
    "run_status": "data.runStatus",
    "run_started_at": "data.runStartedAt",
    "run_finished_at": "data.runFinishedAt",
}
#: Payload keys that may be absent (null) without dropping the run.
OPTIONAL_KEYS = ("job_name", "run_started_at", "run_finished_at")


def dbt_payload() -> dict[str, PayloadField]:
    """The payload the bridge posts; ids are strings even if dbt sends numbers."""
    return {
        key: text_field(path, required=key not in OPTIONAL_KEYS)
        for key, path in PAYLOAD_PATHS.items()
    }


class DbtCloudToMetaflow(VendorWebhook):
    """Start every flow with ``@trigger(event=event)`` when a dbt Cloud job run completes.

    Creates an Argo webhook EventSource at an unguessable path (dbt Cloud cannot send a
    bearer token, and its HMAC ``Authorization`` signature cannot be checked inside Argo
    Events: see docs/vendor_webhooks.md), with a signing secret a signature verifier in front of
    it, an optional Ingress, and the bridge Sensor. The bridge
    only passes ``eventType == "job.run.completed"`` from ``account_id`` with a status in
    ``statuses`` (and the given jobs/environments), all anchored exact string matches, and
    posts ``account_id``, ``project_id``, ``environment_id``, ``job_id``, ``job_name``,
    ``run_id``, ``run_status``, ``run_started_at``, ``run_finished_at`` (strings;
    ``job_name`` and the times are left out when absent). The event ``id`` is the run id,
    so dbt's retries of one delivery are recognisable; ``timestamp`` is the webhook's
    ``timestamp``.

    :param event: Metaflow event name, e.g. ``"dbt.job.completed"``.
    :param account_id: dbt Cloud account id (string), checked against ``accountId``.
    :param job_ids: job ids (strings) to react to. Default: every job of the account.
    :param environment_ids: environment ids (strings). Default: every environment.
    :param statuses: ``runStatus`` values that start flows. Default ``("Success",)``: failed
        and cancelled runs start nothing.
    :param register_webhook: create the ``dbtcloud_webhook`` (provider
        ``dbt-labs/dbtcloud``, declared in ``required_providers``; configure it in the
        stack or with ``DBT_CLOUD_*`` variables) pointing at the public URL, subscribed to
        ``job.run.completed`` for ``job_ids``; its generated signing secret is stored in
        the ``<name>-signing`` Secret. Needs ``ingress``. Default False: register the
        ``external_url`` output by hand (Account settings → Webhooks).
    :param signing_secret: the webhook's secret from dbt Cloud: a sensitive
        ``TerraformVariable`` value (stored in Secret ``<name>-signing``) or ``SecretKeyRef``
        of an existing Secret. A literal string is refused: it would be written into
        ``cdk.tf.json``. Not with ``register_webhook``. Default: none.

    The endpoint props are the
    :class:`~metaflow_blueprints.sources.vendor_webhook.VendorWebhookOptions` group (flat
    keyword arguments); the entries above say what they mean for this vendor.

    Attributes: ``name``, ``namespace``, ``verifier`` (or None), ``signing_secret_ref``,
    ``event_source``, ``sensor``, ``secret_path``, ``ingress`` (or None),
    ``signing_secret`` (or None), ``webhook`` (``DbtCloudWebhook`` or None), ``url`` and
    ``external_url`` (sensitive Terraform expressions; outputs ``url``/``external_url`` are
    sensitive).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        account_id: str,
        job_ids: Sequence[str] | None = None,
        environment_ids: Sequence[str] | None = None,
        statuses: Sequence[str] = ("Success",),
        **props: Unpack[VendorWebhookProps],
    ) -> None:
        values = group_values(VendorWebhookProps, props)
        register_webhook, signing_secret = values["register_webhook"], values["signing_secret"]
        rules.DBT_NUMERIC_ID.check("account_id", account_id)
        (account,) = check_values("account_id", [account_id], pattern=NUMERIC_ID, hint=_HINT) or ()
        jobs = check_values("job_ids", job_ids, pattern=NUMERIC_ID, hint=_HINT)
        environments = check_values(
            "environment_ids", environment_ids, pattern=NUMERIC_ID, hint=_HINT
        )
        wanted = check_values("statuses", statuses, pattern=re.compile(r".+"))
        for status in wanted or ():
            if not is_unresolved(status) and status not in RUN_STATUSES:
                raise BlueprintError(
                    "statuses", status, f"is not a dbt Cloud run status {RUN_STATUSES}."
                )
        if register_webhook and signing_secret is not None:
            raise BlueprintError(
                "signing_secret",
                "<hidden>",
                "cannot be set with register_webhook=True: dbt Cloud generates the secret.",
                "Drop signing_secret; the registered webhook's secret is stored instead.",
            )
        if is_unresolved(account):
            # A Terraform value cannot be regex-escaped in Python; Terraform's regex() fails
            # the plan unless it is all digits, which need no escaping.
            numeric = Fn.regex(NUMERIC_ID.pattern, account)
            account_filter = (
                DataFilter.at(f"{PAYLOAD_ROOT}.account_id").string().matches(f"^{numeric}$")
            )
        else:
            account_filter = payload_equals("account_id", [account])
        filters: list[Filter] = [
            DataFilter.at("body.eventType").string().equals(EVENT_TYPE),
            account_filter,
            exact_match("body.data.runStatus", wanted or (), _RUN_STATUS),
        ]
        if jobs:
            filters.append(payload_equals("job_id", jobs, NUMERIC_ID))
        if environments:
            filters.append(payload_equals("environment_id", environments, NUMERIC_ID))
        super().__init__(
            scope,
            id,
            payload=dbt_payload(),
            id_field=text_field("data.runId"),
            timestamp_jq=epoch_from("timestamp"),
            filters=filters,
            vendor="dbt-cloud",
            **props,
        )
        self.webhook: DbtCloudWebhook | None = None
        if register_webhook and self.external_url is not None:
            self.webhook = DbtCloudWebhook(
                self,
                "webhook",
                name=self.name,
                url=self.external_url,
                job_ids=jobs,
                description=f"Starts Metaflow flows on {props['event']} (metaflow-blueprints).",
            )
            self.store_signing_secret(self.webhook.hmac_secret)
