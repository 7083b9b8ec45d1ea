"""``MetaflowEvents``: the cluster's existing Metaflow event setup, as blueprints see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metaflow_blueprints import rules
from metaflow_blueprints.argo import RetryStrategy, SecretKeyRef, check_object_name, derive_name
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.k8s.objects import ConfigMapWriter, KubernetesSecret
from metaflow_blueprints.metaflow import MetaflowTarget, default_webhook_url
from metaflow_blueprints.metaflow.bridge import BRIDGE_RETRY, MANAGED_BY
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, LibraryConstruct, TerraformStack, is_unresolved

if TYPE_CHECKING:
    from metaflow_blueprints.platform import MetaflowEventsSetup

#: Interval of the flat retry built from ``retry_window_seconds``.
RETRY_INTERVAL_SECONDS = 30


class MetaflowEvents(LibraryConstruct):
    """Describes where Metaflow listens for events (metaflow-contract.md §1 and §6).

    Creates the bridge Sensors' ServiceAccount (allowed only to create ConfigMaps in
    ``namespace``: the dead letters) and, with ``webhook_auth_token``, the auth Secret.
    Every blueprint takes one of these as ``metaflow=`` and places its EventSource and
    bridge Sensor in ``namespace``.

    :param namespace: namespace of Metaflow's Argo Events setup (EventBus, Metaflow's
        webhook EventSource): ``METAFLOW_ARGO_EVENTS_SENSOR_NAMESPACE``, else
        ``METAFLOW_KUBERNETES_NAMESPACE``. Default ``"default"``.
    :param event_bus: ``METAFLOW_ARGO_EVENTS_EVENT_BUS``. Default ``"default"``.
    :param webhook_url: in-cluster URL of Metaflow's webhook EventSource
        (``METAFLOW_ARGO_EVENTS_INTERNAL_WEBHOOK_URL``). Default: the reference deployments'
        ``http://argo-events-webhook-eventsource-svc.<namespace>:12000/metaflow-event``.
    :param webhook_auth_secret: existing Secret key (in ``namespace``) holding the complete
        ``Authorization`` header value, ``Bearer <token>``, for a webhook with ``authSecret``.
        Default: none.
    :param webhook_auth_token: the bearer token as a Terraform value (a sensitive
        ``TerraformVariable``); a Secret holding ``Bearer <token>`` is created. A literal
        string is refused (it would be written into ``cdk.tf.json``). Not with
        ``webhook_auth_secret``. Default: no auth header (webhook without ``authSecret``).
    :param retry: backoff for delivering to the webhook. Default ``BRIDGE_RETRY``: a POST
        every 30 s (+0-10 % jitter), 121 attempts, so at least 3600 s before the event
        becomes a dead letter. Not with ``retry_window_seconds``.
    :param retry_window_seconds: shorthand for a flat retry every 30 s lasting at least
        this long (60-604800). Not with ``retry``. Default: none (``retry`` applies).
    :param timeout_seconds: per-request timeout of the POST. Default 10.

    Attributes: ``namespace``, ``target`` (what bridges render against), ``auth_secret``
    (the created ``KubernetesSecret`` or None), ``dead_letters`` (the ``ConfigMapWriter``) and
    ``sensor_dependencies`` (resources every bridge Sensor waits for).
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
        retry_window_seconds: int | None = None,
        timeout_seconds: int = 10,
    ) -> None:
        super().__init__(scope, id)
        strategy = _retry(retry, retry_window_seconds)
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
        check_object_name("event_bus", event_bus)
        if timeout_seconds <= 0:
            raise BlueprintError("timeout_seconds", timeout_seconds, "must be > 0.")
        url = default_webhook_url(namespace) if webhook_url is None else webhook_url
        if not is_unresolved(url):
            rules.WEBHOOK_URL.check("webhook_url", url)
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
        self.dead_letters = ConfigMapWriter(
            self,
            "dead_letters",
            name=derive_name("mfb", *self.node.path.split("/"), "bridge"),
            namespace=namespace,
            labels=MANAGED_BY,
        )
        self.sensor_dependencies: list[object] = [
            *([self.auth_secret.secret] if self.auth_secret else []),
            *self.dead_letters.resources,
        ]
        self.target = MetaflowTarget(
            namespace=namespace,
            webhook_url=url,
            event_bus=event_bus,
            auth_header=auth,
            retry=strategy,
            timeout_seconds=timeout_seconds,
            service_account_name=self.dead_letters.name,
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
        retry_window_seconds: int | None = None,
        timeout_seconds: int = 10,
    ) -> MetaflowEvents:
        """Point blueprints at a ``MetaflowEventsSetup``: its namespace, bus, webhook, auth.

        When ``scope`` is in another stack, that stack gets a dependency on the platform's
        stack, so ``cdktf deploy '*'`` deploys the platform first.

        :param platform: the ``MetaflowEventsSetup`` (in this stack or another).
        :param retry: as for the constructor. Default ``BRIDGE_RETRY``.
        :param retry_window_seconds: as for the constructor. Default: none.
        :param timeout_seconds: per-request timeout of the POST. Default 10.
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
            retry_window_seconds=retry_window_seconds,
            timeout_seconds=timeout_seconds,
        )


def _check_namespace(namespace: str) -> None:
    rules.NAMESPACE.check("namespace", namespace)


def _retry(retry: object, window: object) -> RetryStrategy:
    if retry is not None and window is not None:
        raise BlueprintError(
            "retry/retry_window_seconds", (retry, window), "give one or neither."
        )
    if retry is not None:
        if not isinstance(retry, RetryStrategy):
            raise BlueprintError("retry", retry, "must be a RetryStrategy.")
        return retry
    if window is None:
        return BRIDGE_RETRY
    rules.RETRY_WINDOW_SECONDS.check("retry_window_seconds", window)
    assert isinstance(window, int)  # the range refuses tokens: the steps are computed here
    sleeps = -(-window // RETRY_INTERVAL_SECONDS)
    return RetryStrategy(
        steps=sleeps + 1, duration=f"{RETRY_INTERVAL_SECONDS}s", factor=1.0, jitter=0.1
    )
