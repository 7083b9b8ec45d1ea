"""The part dbt Cloud and Fivetran share: a webhook that senders reach by an unguessable path.

Neither vendor can send ``Authorization: Bearer``, and Argo Events cannot check their HMAC
signatures (argo-events.md §(e)), so the EventSource has no ``authSecret``. What guards it:
with a signing secret, a :class:`SignatureVerifier` hop in front of the EventSource (the
Ingress routes to it); always, a random endpoint path (:class:`SecretPath`), the bridge's
payload filters (account/connector ids, event type, status), and optionally a source-IP
allowlist on the Ingress. ``docs/vendor_webhooks.md`` says what that does and does not protect
against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypedDict, Unpack

from metaflow_blueprints.argo import (
    DataFilter,
    EventFilters,
    RateLimit,
    SecretKeyRef,
    WebhookEvent,
)
from metaflow_blueprints.argo.filters import Filter, regex_literal
from metaflow_blueprints.blueprints.webhook import check_limits, webhook_source
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.ingress import WebhookIngress, expose_webhook
from metaflow_blueprints.ingress.secret_path import SecretPath, check_byte_length
from metaflow_blueprints.ingress.verifier import DEFAULT_IMAGE, SignatureVerifier, check_image
from metaflow_blueprints.k8s.manifests import ArgoEventSource
from metaflow_blueprints.k8s.objects import KubernetesSecret
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.metaflow.bridge import MANAGED_BY
from metaflow_blueprints.metaflow.jq import NOW
from metaflow_blueprints.metaflow.payload import gjson_path, jq_getpath, split_path
from metaflow_blueprints.props import group_defaults, group_values, prop_group
from metaflow_blueprints.runtime import Construct, Fn, address, is_unresolved
from metaflow_blueprints.sources.base import Source, SourceProps, add_bridge_sensor

#: Where the bridge's jq transform puts the Metaflow payload next to the event data; sensor
#: filters on ids read the normalised (stringified) values there.
PAYLOAD_ROOT = "metaflow"
#: Key of the signing secret in its Kubernetes Secret.
SIGNING_SECRET_KEY = "secret"
#: Body limit of the verifier when the blueprint sets no ``max_payload_size`` (Argo's).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")


def text_field(path: str, *, required: bool = True) -> PayloadField:
    """The value at ``body.<path>`` as a string (numbers become their JSON text).

    Required fields drop the request when the path is missing; optional ones yield null,
    which the bridge leaves out of the payload.
    """
    parts = ["body", *split_path(path)]
    expr = f"{jq_getpath(parts)} | if . == null then null else tostring end"
    return PayloadField.expression(expr, requires=(gjson_path(parts),) if required else ())


def epoch_from(path: str) -> str:
    """jq for the bridge timestamp: the ISO time at ``body.<path>``, else the current time."""
    return f"(try ({jq_getpath(['body', *split_path(path)])} | mfb_epoch) catch {NOW})"


def payload_equals(key: str, values: Sequence[str], pattern: re.Pattern[str] = _ID) -> DataFilter:
    """Anchored exact match on the normalised payload value ``key``."""
    return exact_match(f"{PAYLOAD_ROOT}.{key}", values, pattern)


def exact_match(path: str, values: Sequence[str], pattern: re.Pattern[str]) -> DataFilter:
    """Anchored exact match of ``path`` against ``values``, Terraform tokens included.

    A token cannot be regex-escaped in Python: Terraform's ``regex(pattern, v)`` fails the
    plan unless the value fits ``pattern``, and ``replace`` escapes its dots (the only
    regex metacharacter the id patterns allow), so the filter matches the real value.
    """
    if not any(is_unresolved(v) for v in values):
        return DataFilter.at(path).string().equals(*values)
    alternatives = [
        str(Fn.replace(Fn.regex(pattern.pattern, v), ".", "[.]")) if is_unresolved(v)
        else regex_literal(v)
        for v in values
    ]
    return DataFilter.at(path).string().matches("^(" + "|".join(alternatives) + ")$")


def check_values(
    field: str, values: Sequence[str] | None, *, pattern: re.Pattern[str] = _ID, hint: str = ""
) -> tuple[str, ...] | None:
    """Validate an optional list of id strings (tokens are not checked)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise BlueprintError(field, values, "must be a list of strings.", f"Write ({values!r},).")
    if not values:
        raise BlueprintError(
            field, values, "is empty.", "Give at least one value, or None for any."
        )
    for value in values:
        if not isinstance(value, str):
            raise BlueprintError(field, value, "must be a string (ids arrive as strings).", hint)
        if not is_unresolved(value) and not pattern.fullmatch(value):
            raise BlueprintError(field, value, "is not a valid value here.", hint)
    return tuple(values)


def check_register(register_webhook: bool, ingress: WebhookIngress | None) -> None:
    """Vendor-side registration needs a public URL, i.e. an Ingress."""
    if not isinstance(register_webhook, bool):
        raise BlueprintError("register_webhook", register_webhook, "must be True or False.")
    if register_webhook and ingress is None:
        raise BlueprintError(
            "register_webhook",
            True,
            "needs a public URL for the vendor to call.",
            "Pass ingress=WebhookIngress(host=...), or register the URL by hand.",
        )
    if register_webhook and ingress is not None and not ingress.tls:
        raise BlueprintError(
            "register_webhook",
            True,
            "would register a plain http:// URL with the vendor (ingress has tls=False).",
            "Serve TLS (tls=True, or tls='upstream' when a load balancer ends it).",
        )


def check_signing_secret(signing_secret: object) -> None:
    """A Terraform value or an existing Secret: never a literal (it would land in cdk.tf.json)."""
    if signing_secret is None or isinstance(signing_secret, SecretKeyRef):
        return
    if not isinstance(signing_secret, str) or not signing_secret:
        raise BlueprintError(
            "signing_secret", "<hidden>", "must be a Terraform value or a SecretKeyRef."
        )
    if not is_unresolved(signing_secret):
        raise BlueprintError(
            "signing_secret",
            "<literal string hidden>",
            "is a literal: it would be written in plain text into cdk.tf.json.",
            "Pass a sensitive TerraformVariable's value (TerraformVariable(stack, 'x', "
            "type='string', sensitive=True).string_value), or SecretKeyRef(name, key) of an "
            "existing Secret.",
        )


def check_verify(
    verify_signature: bool | None, signing_secret: object, register_webhook: bool
) -> bool:
    """Verify signatures whenever a signing secret is known, unless told not to."""
    if verify_signature not in (None, True, False):
        raise BlueprintError("verify_signature", verify_signature, "must be True, False or None.")
    known = signing_secret is not None or register_webhook
    if verify_signature and not known:
        raise BlueprintError(
            "verify_signature",
            True,
            "needs the signing secret.",
            "Pass signing_secret= (a sensitive TerraformVariable or a SecretKeyRef), or "
            "register_webhook=True.",
        )
    return known if verify_signature is None else bool(verify_signature)


@prop_group(
    {
        "port": 12000,
        "ingress": None,
        "path_bytes": 32,
        "register_webhook": False,
        "signing_secret": None,
        "verify_signature": None,
        "verifier_image": DEFAULT_IMAGE,
        "rate_limit": None,
        "max_payload_size": None,
    }
)
class VendorWebhookOptions(TypedDict, total=False):
    """The endpoint props the vendor blueprints share (a prop group: flat keyword arguments
    of ``DbtCloudToMetaflow`` and ``FivetranToMetaflow``).

    :param port: container port of the webhook server. Default 12000.
    :param ingress: expose the endpoint outside the cluster (needed for the vendor to call
        it); ``WebhookIngress(allowed_source_ranges=...)`` adds a source-IP allowlist.
        Default: in-cluster only.
    :param path_bytes: random bytes in the URL path (at least 16). Default 32.
    :param register_webhook: create the vendor's webhook resource pointing at the public
        URL (its provider is declared in ``required_providers``; configure it in the stack)
        and store its signing secret in the ``<name>-signing`` Secret. Needs ``ingress``.
        Default False: register the ``external_url`` output by hand.
    :param signing_secret: the webhook's signing secret: a sensitive ``TerraformVariable``
        value (stored in Secret ``<name>-signing``) or ``SecretKeyRef`` of an existing
        Secret. A literal string is refused: it would be written into ``cdk.tf.json``.
        Default: none.
    :param verify_signature: put a :class:`SignatureVerifier` in front of the EventSource
        that checks the vendor's HMAC signature, and route the Ingress to it. Default: on
        whenever a signing secret is known (``signing_secret`` or ``register_webhook``).
    :param verifier_image: Python image of the verifier (pinned). Default
        :data:`~metaflow_blueprints.ingress.verifier.DEFAULT_IMAGE`.
    :param rate_limit: Argo trigger ``rateLimit`` of the bridge. Default: none.
    :param max_payload_size: largest body in bytes (EventSource ``maxPayloadSize`` and the
        verifier's 413 limit). Default: 1 MiB.
    """

    port: int
    ingress: WebhookIngress | None
    path_bytes: int
    register_webhook: bool
    signing_secret: str | SecretKeyRef | None
    verify_signature: bool | None
    verifier_image: str
    rate_limit: RateLimit | None
    max_payload_size: int | None


@prop_group(group_defaults(SourceProps, VendorWebhookOptions))
class VendorWebhookProps(SourceProps, VendorWebhookOptions, total=False):
    """The shared props of the vendor blueprints:
    :class:`~metaflow_blueprints.sources.base.SourceProps` and :class:`VendorWebhookOptions`
    (a prop group: flat keyword arguments)."""


class VendorWebhook(Source):
    """Base of the vendor blueprints: secret-path EventSource, optional Ingress, bridge Sensor.

    Subclasses validate their own props first, then call this ``__init__``, which checks
    the shared ones (``register_webhook`` needs a TLS ``ingress``) and creates
    (construct ids in brackets): the path [``path``], the optional signing-secret Secret
    [``signing_secret``], the EventSource [``event_source``], the bridge [``sensor``], the
    optional Ingress [``ingress``] and the sensitive outputs [``url``, ``external_url``].

    Attributes: ``name``, ``namespace``, ``secret_path``, ``event_source``, ``sensor``,
    ``ingress`` (or None), ``signing_secret`` (``KubernetesSecret`` or None),
    ``signing_secret_ref`` (the Secret key the verifier mounts, or None), ``verifier``
    (``SignatureVerifier`` or None), ``url`` and
    ``external_url`` (Terraform expressions holding the secret path; keep them out of plain
    outputs).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vendor: str,
        payload: Mapping[str, PayloadField],
        id_field: PayloadField,
        timestamp_jq: str,
        filters: Sequence[Filter],
        **props: Unpack[VendorWebhookProps],
    ) -> None:
        values = group_values(VendorWebhookProps, props)
        port, ingress, rate_limit = values["port"], values["ingress"], values["rate_limit"]
        signing_secret, register_webhook = values["signing_secret"], values["register_webhook"]
        max_payload_size, verifier_image = values["max_payload_size"], values["verifier_image"]
        if ingress is not None and not isinstance(ingress, WebhookIngress):
            raise BlueprintError("ingress", ingress, "must be a WebhookIngress.")
        check_register(register_webhook, ingress)
        check_signing_secret(signing_secret)
        verify = check_verify(values["verify_signature"], signing_secret, register_webhook)
        check_limits(rate_limit, max_payload_size)
        check_image(verifier_image)
        check_byte_length("path_bytes", values["path_bytes"])
        # Constructing the argo objects validates port and names before anything is created.
        WebhookEvent(endpoint="/placeholder", port=port)
        super().__init__(scope, id, props)
        metaflow = props["metaflow"]
        self.namespace = namespace = metaflow.namespace
        bridge = self.plan_bridge(
            payload=dict(payload),
            id=id_field,
            timestamp_jq=timestamp_jq,
            filters=EventFilters.all(filters),
            rate_limit=rate_limit,
        )
        self.secret_path = SecretPath(
            self, "path", prefix=f"/{self.name}", byte_length=values["path_bytes"]
        )
        path = self.secret_path.path

        self.signing_secret: KubernetesSecret | None = None
        self.verifier: SignatureVerifier | None = None
        #: The Secret key the verifier mounts (None: no signing secret known).
        self.signing_secret_ref: SecretKeyRef | None = None
        if isinstance(signing_secret, SecretKeyRef):
            self.signing_secret_ref = signing_secret
        elif signing_secret is not None:
            self.store_signing_secret(signing_secret)
        elif register_webhook:
            # Stored by the subclass once the vendor resource (or generated value) exists.
            self.signing_secret_ref = SecretKeyRef(f"{self.name}-signing", SIGNING_SECRET_KEY)

        source = webhook_source(
            metaflow, bridge, path=path, port=port, max_payload_size=max_payload_size
        )
        self.event_source = ArgoEventSource(self, "event_source", event_source=source)
        self.sensor = add_bridge_sensor(
            self, metaflow=metaflow, bridge=bridge, event_source=self.event_source
        )
        if verify and self.signing_secret_ref is not None:
            self.verifier = SignatureVerifier(
                self,
                "verifier",
                name=self.name,
                namespace=namespace,
                vendor=vendor,
                signing_secret=self.signing_secret_ref,
                event_source_name=self.name,
                upstream_port=port,
                image=verifier_image,
                max_body_bytes=max_payload_size or DEFAULT_MAX_BODY_BYTES,
                labels=MANAGED_BY,
            )
            if self.signing_secret is not None:
                self.verifier.deployment.depends_on = [address(self.signing_secret.secret)]
        exposed = expose_webhook(
            self,
            source,
            ingress=ingress,
            secret_path=True,
            backend=(self.verifier.service_name, self.verifier.port) if self.verifier else None,
        )
        self.url: str = exposed.url
        self.ingress = exposed.ingress
        self.external_url = exposed.external_url

    def store_signing_secret(self, value: str) -> KubernetesSecret:
        """Keep the vendor's signing secret in Secret ``<name>-signing`` (key ``secret``).

        The signature verifier (``verifier``) mounts it; nothing in Argo Events reads it.
        """
        if self.signing_secret is not None:
            raise BlueprintError("signing_secret", "<hidden>", "is already stored.")
        self.signing_secret = KubernetesSecret(
            self,
            "signing_secret",
            name=f"{self.name}-signing",
            namespace=self.namespace,
            data={SIGNING_SECRET_KEY: value},
            labels=MANAGED_BY,
        )
        self.signing_secret_ref = self.signing_secret.ref(SIGNING_SECRET_KEY)
        if self.verifier is not None:
            self.verifier.deployment.depends_on = [address(self.signing_secret.secret)]
        return self.signing_secret
