"""``MetaflowEvents``: the cluster's existing Metaflow event setup, as blueprints see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metaflow_blueprints.argo import RetryStrategy, SecretKeyRef, check_object_name, derive_name
from metaflow_blueprints.argo.names import NAMESPACE_NAME
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.k8s.objects import KubernetesSecret
from metaflow_blueprints.metaflow import MetaflowTarget, default_webhook_url
from metaflow_blueprints.metaflow.bridge import MANAGED_BY
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, TerraformStack, is_unresolved

if TYPE_CHECKING:
    from metaflow_blueprints.platform import MetaflowEventsSetup


class MetaflowEvents(Construct):
    """Describes where Metaflow listens for events (metaflow-contract.md §1 and §6).

    Creates nothing unless ``webhook_auth_token`` is given. Every blueprint takes one of
    these as ``metaflow=`` and places its EventSource and bridge Sensor in ``namespace``.

    :param namespace: namespace of Metaflow's Argo Events setup (EventBus, Metaflow's
        webhook EventSource): ``METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE``, else
        ``METAFLOW_KUBERNETES_NAMESPACE``. Default ``"default"``.
    :param event_bus: ``METAFLOW_ARGO_EVENTS_EVENT_BUS``. Default ``"default"``.
    :param webhook_url: in-cluster URL of Metaflow's webhook EventSource
        (``METAFLOW_ARGO_EVENTS_INTERNAL_WEBHOOK_URL``). Default: the reference deployments'
        ``http://argo-events-webhook-eventsource-svc.<namespace>:12000/metaflow-event``.
    :param webhook_auth_secret: existing Secret key (in ``namespace``) holding the complete
        ``Authorization`` header value, ``Bearer <token>``, for a webhook with ``authSecret``.
    :param webhook_auth_token: the bearer token as a Terraform value (a sensitive
        ``TerraformVariable``); a Secret holding ``Bearer <token>`` is created. A literal
        string is refused (it would be written into ``cdk.tf.json``). Not with
        ``webhook_auth_secret``. Default: no auth header (webhook without ``authSecret``).
    :param retry: backoff for delivering to the webhook. Default 5 steps from 2 s, factor 2.
    :param timeout_seconds: per-request timeout of the POST. Default 10.

    Attributes: ``target`` (what bridges render against), ``auth_secret`` (the created
    ``KubernetesSecret`` or None).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str = "default",
        event_bus: str = "default",
        webhook_url: str | None = None,
        webhook_auth_secret: SecretKeyRef | None = None,
        webhook_auth_token: str | None = None,
        retry: RetryStrategy | None = None,
        timeout_seconds: int = 10,
    ) -> None:
        super().__init__(scope, id)
        if not is_unresolved(namespace):
            _check_namespace(namespace)
        if webhook_auth_secret is not None and webhook_auth_token is not None:
            raise BlueprintError(
                "webhook_auth_secret/webhook_auth_token",
                (webhook_auth_secret, "<token>"),
                "give one or neither: an existing Secret, or a token to store in a new one.",
            )
        if webhook_auth_token is not None and not is_unresolved(webhook_auth_token):
            raise BlueprintError(
                "webhook_auth_token",
                "<literal string hidden>",
                "is a literal: it would be written in plain text into cdk.tf.json.",
                "Pass a sensitive TerraformVariable's value (TerraformVariable(stack, 'x', "
                "type='string', sensitive=True).string_value), or webhook_auth_secret= an "
                "existing Secret key.",
            )
        if not is_unresolved(event_bus):
            check_object_name("event_bus", event_bus)
        if timeout_seconds <= 0:
            raise BlueprintError("timeout_seconds", timeout_seconds, "must be > 0.")
        url = webhook_url or default_webhook_url(namespace)
        if not is_unresolved(url) and not url.startswith(("http://", "https://")):
            raise BlueprintError("webhook_url", url, "must be an http:// or https:// URL.")
        self.auth_secret: KubernetesSecret | None = None
        auth = webhook_auth_secret
        if webhook_auth_token is not None:
            self.auth_secret = KubernetesSecret(
                self,
                "auth",
                name=derive_name("mfb", *self.node.path.split("/"), "auth"),
                namespace=namespace,
                data={"authorization": f"Bearer {webhook_auth_token}"},
                labels=MANAGED_BY,
            )
            auth = self.auth_secret.ref("authorization")
        self.target = MetaflowTarget(
            namespace=namespace,
            webhook_url=url,
            event_bus=event_bus,
            auth_header=auth,
            retry=retry or RetryStrategy(),
            timeout_seconds=timeout_seconds,
        )
        self.namespace = namespace

    @classmethod
    def from_platform(
        cls,
        scope: Construct,
        id: str,
        platform: MetaflowEventsSetup,
        *,
        retry: RetryStrategy | None = None,
        timeout_seconds: int = 10,
    ) -> MetaflowEvents:
        """Point blueprints at a ``MetaflowEventsSetup``: its namespace, bus, webhook, auth.

        When ``scope`` is in another stack, that stack gets a dependency on the platform's
        stack, so ``cdktf deploy '*'`` deploys the platform first.
        """
        own, theirs = TerraformStack.of(scope), TerraformStack.of(platform)
        if own is not theirs:
            own.add_dependency(theirs)
        return cls(
            scope,
            id,
            namespace=platform.namespace,
            event_bus=platform.event_bus_name,
            webhook_url=platform.webhook_url,
            webhook_auth_secret=platform.auth_header,
            retry=retry,
            timeout_seconds=timeout_seconds,
        )


def _check_namespace(namespace: str) -> None:
    if not NAMESPACE_NAME.fullmatch(namespace):
        raise BlueprintError(
            "namespace", namespace, "is not a valid Kubernetes namespace (DNS-1123 label)."
        )
