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

from metaflow_blueprints.argo import (
    DataFilter,
    EventFilters,
    EventSource,
    RateLimit,
    SecretKeyRef,
    WebhookEvent,
)
from metaflow_blueprints.argo.filters import Filter, regex_literal
from metaflow_blueprints.blueprints.webhook import check_limits
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.ingress import WebhookIngress, expose_webhook
from metaflow_blueprints.ingress.secret_path import SecretPath, check_byte_length
from metaflow_blueprints.ingress.verifier import SignatureVerifier, check_image
from metaflow_blueprints.k8s.manifests import ArgoEventSource
from metaflow_blueprints.k8s.objects import KubernetesSecret
from metaflow_blueprints.metaflow import PayloadField, check_event
from metaflow_blueprints.metaflow.bridge import MANAGED_BY
from metaflow_blueprints.metaflow.jq import NOW
from metaflow_blueprints.metaflow.payload import gjson_path, jq_getpath, split_path
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import Construct, Fn, address, is_unresolved
from metaflow_blueprints.sources.base import (
    add_bridge_sensor,
    base_name,
    check_metaflow,
    event_key,
    plan_bridge,
)

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

    Required fields drop the request when the path is missing; optional ones yield null.
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


class VendorWebhook(Construct):
    """Base of the vendor blueprints: secret-path EventSource, optional Ingress, bridge Sensor.

    Subclasses validate their own props first, then call this ``__init__``, which creates
    (construct ids in brackets): the path [``path``], the optional signing-secret Secret
    [``signing_secret``], the EventSource [``event_source``], the bridge [``sensor``], the
    optional Ingress [``ingress``] and the sensitive outputs [``url``, ``external_url``].

    Attributes: ``name``, ``namespace``, ``secret_path``, ``event_source``, ``sensor``,
    ``ingress`` (or None), ``signing_secret`` (``KubernetesSecret`` or None), ``url`` and
    ``external_url`` (Terraform expressions holding the secret path; keep them out of plain
    outputs).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        metaflow: MetaflowEvents,
        event: str,
        vendor: str,
        payload: Mapping[str, PayloadField],
        id_field: PayloadField,
        timestamp_jq: str,
        filters: Sequence[Filter],
        port: int,
        ingress: WebhookIngress | None,
        name: str | None,
        path_bytes: int,
        signing_secret: str | SecretKeyRef | None,
        register_webhook: bool,
        verify_signature: bool | None,
        verifier_image: str,
        rate_limit: RateLimit | None,
        max_payload_size: int | None,
    ) -> None:
        check_event("event", event)
        check_metaflow(metaflow)
        if ingress is not None and not isinstance(ingress, WebhookIngress):
            raise BlueprintError("ingress", ingress, "must be a WebhookIngress.")
        check_signing_secret(signing_secret)
        verify = check_verify(verify_signature, signing_secret, register_webhook)
        check_limits(rate_limit, max_payload_size)
        check_image(verifier_image)
        check_byte_length("path_bytes", path_bytes)
        # Constructing the argo objects validates port and names before anything is created.
        WebhookEvent(endpoint="/placeholder", port=port)
        super().__init__(scope, id)
        self.name = base_name(self, name)
        self.namespace = namespace = metaflow.namespace
        event_name = event_key(event)
        bridge = plan_bridge(
            metaflow,
            self.name,
            scope=self,
            event=event,
            event_source_name=self.name,
            event_name=event_name,
            payload=dict(payload),
            id=id_field,
            timestamp_jq=timestamp_jq,
            filters=EventFilters.all(filters),
            rate_limit=rate_limit,
        )
        self.secret_path = SecretPath(self, "path", prefix=f"/{self.name}", byte_length=path_bytes)
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

        self.event_source = ArgoEventSource(
            self,
            "event_source",
            event_source=EventSource(
                name=self.name,
                namespace=namespace,
                events={
                    event_name: WebhookEvent(
                        endpoint=path,
                        port=port,
                        method="POST",
                        max_payload_size=max_payload_size,
                    )
                },
                event_bus_name=metaflow.target.event_bus,
                service_ports=(port,),
                labels=MANAGED_BY,
            ),
        )
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
            name=self.name,
            namespace=namespace,
            port=port,
            path=path,
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
