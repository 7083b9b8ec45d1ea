"""Expose a webhook EventSource outside the cluster with a Kubernetes Ingress."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from metaflow_blueprints import rules
from metaflow_blueprints.argo import EventSource, WebhookEvent
from metaflow_blueprints.errors import BlueprintError, is_token
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.props import check_type
from metaflow_blueprints.runtime import (
    Construct,
    LibraryConstruct,
    TerraformOutput,
    provider_module,
)

#: ingress-nginx's source-IP allowlist annotation.
NGINX_ALLOWLIST = "nginx.ingress.kubernetes.io/whitelist-source-range"
#: ingress-nginx's per-client-IP requests-per-second limit.
NGINX_LIMIT_RPS = "nginx.ingress.kubernetes.io/limit-rps"
#: ingress-nginx's maximum request body (``client_max_body_size``).
NGINX_BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size"
#: AWS Load Balancer Controller's allowlist (security-group inbound rules).
ALB_ALLOWLIST = "alb.ingress.kubernetes.io/inbound-cidrs"
#: Says that TLS ends in front of the Ingress (``tls="upstream"``).
TLS_UPSTREAM_ANNOTATION = "metaflow-blueprints.io/tls"
#: Controllers whose annotations we know; ``class_name`` values that imply one.
Controller = Literal["nginx", "alb"]
KNOWN_CLASSES: dict[str, Controller] = {"nginx": "nginx", "ingress-nginx": "nginx", "alb": "alb"}

_ANY = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def check_host(field_name: str, host: object) -> None:
    """A bare DNS name of at most 253 characters: no scheme, port, path, wildcard or IP."""
    if is_token(host):
        return
    try:
        ipaddress.ip_address(host)  # type: ignore[arg-type]
    except ValueError:
        pass
    else:
        raise BlueprintError(
            field_name, host, "is an IP address; an Ingress rule needs a DNS host name."
        )
    rules.check(field_name, host, rules.HOST)


def check_object_name(field_name: str, value: object) -> None:
    """A DNS-1123 subdomain (Secret or IngressClass name); tokens are not checked."""
    rules.SUBDOMAIN.check(field_name, value)


@dataclass(frozen=True)
class WebhookIngress:
    """How to expose a webhook: host, TLS, class, allowlist and limits.

    :param host: public DNS host name, e.g. ``hooks.example.com``.
    :param tls: ``True``: the Ingress serves TLS for ``host`` and the URL is
        ``https://``. ``"upstream"``: TLS ends in front of the Ingress (a load balancer or
        CDN); no TLS block is written and the URL is still ``https://``. ``False``: plain
        HTTP, an explicit opt-out (tokens and secret paths cross the network in clear).
        Default ``True``.
    :param tls_secret_name: Secret with the certificate for ``host`` (only with
        ``tls=True``). Default: the controller's default certificate (cert-manager users
        set the issuer in ``annotations``).
    :param class_name: IngressClass. Default: the cluster's default class.
    :param controller: which controller serves the class, for the annotations below:
        ``"nginx"`` (ingress-nginx) or ``"alb"`` (AWS Load Balancer Controller). Default:
        from ``class_name`` (``nginx``, ``ingress-nginx``, ``alb``); other classes cannot
        take ``allowed_source_ranges``/``rate_limit_rps``/``max_body_bytes``.
    :param allowed_source_ranges: CIDRs allowed to call the webhook: ingress-nginx
        ``whitelist-source-range`` or ALB ``inbound-cidrs``. ``0.0.0.0/0`` and ``::/0``
        are refused (they allow everyone: leave the prop empty instead). Default: none.
    :param rate_limit_rps: requests per second per client IP (ingress-nginx ``limit-rps``;
        the ALB has no such annotation: use AWS WAF). Default: no limit.
    :param max_body_bytes: largest request body the controller accepts (ingress-nginx
        ``proxy-body-size``). Default: the controller's (1 MiB for ingress-nginx).
    :param annotations: extra Ingress annotations (e.g. cert-manager issuer). Default: none.

    Attributes: ``scheme`` (``https`` unless ``tls=False``), besides the props above.
    """

    host: str
    tls: bool | Literal["upstream"] = True
    tls_secret_name: str | None = None
    class_name: str | None = None
    controller: Controller | None = None
    allowed_source_ranges: Sequence[str] = ()
    rate_limit_rps: int | None = None
    max_body_bytes: int | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_type("WebhookIngress.host", self.host, str)
        check_type("WebhookIngress.tls_secret_name", self.tls_secret_name, str | None)
        check_type("WebhookIngress.class_name", self.class_name, str | None)
        check_type(
            "WebhookIngress.allowed_source_ranges", self.allowed_source_ranges, Sequence[str]
        )
        check_type("WebhookIngress.annotations", self.annotations, Mapping[str, str])
        check_host("WebhookIngress.host", self.host)
        if self.tls not in (True, False, "upstream"):
            raise BlueprintError(
                "WebhookIngress.tls", self.tls, "must be True, False or 'upstream'."
            )
        if self.tls_secret_name is not None:
            if self.tls is not True:
                raise BlueprintError(
                    "WebhookIngress.tls_secret_name",
                    self.tls_secret_name,
                    f"needs tls=True (tls={self.tls!r} writes no TLS block).",
                )
            check_object_name("WebhookIngress.tls_secret_name", self.tls_secret_name)
        if self.class_name is not None:
            check_object_name("WebhookIngress.class_name", self.class_name)
        if self.controller not in (None, "nginx", "alb"):
            raise BlueprintError(
                "WebhookIngress.controller", self.controller, "must be 'nginx', 'alb' or None."
            )
        if isinstance(self.allowed_source_ranges, (str, bytes)):
            raise BlueprintError(
                "WebhookIngress.allowed_source_ranges",
                self.allowed_source_ranges,
                "must be a list of CIDRs.",
            )
        for cidr in self.allowed_source_ranges:
            if is_token(cidr):
                continue
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except (ValueError, TypeError):
                raise BlueprintError(
                    "WebhookIngress.allowed_source_ranges", cidr, "is not a CIDR range."
                ) from None
            if network in _ANY:
                raise BlueprintError(
                    "WebhookIngress.allowed_source_ranges",
                    cidr,
                    "allows every address, which is no allowlist.",
                    "Give the callers' ranges, or leave allowed_source_ranges empty.",
                )
        for field_name, limit, bounds in (
            ("WebhookIngress.rate_limit_rps", self.rate_limit_rps, rules.RATE_LIMIT_RPS),
            ("WebhookIngress.max_body_bytes", self.max_body_bytes, rules.BODY_BYTES),
        ):
            if limit is not None:
                bounds.check(field_name, limit)
        wanted = [
            name
            for name, value in (
                ("allowed_source_ranges", self.allowed_source_ranges),
                ("rate_limit_rps", self.rate_limit_rps),
                ("max_body_bytes", self.max_body_bytes),
            )
            if value
        ]
        if wanted and self.resolved_controller() is None:
            raise BlueprintError(
                f"WebhookIngress.{wanted[0]}",
                getattr(self, wanted[0]),
                f"cannot be mapped to an annotation for class_name={self.class_name!r}.",
                "Set controller='nginx' or 'alb', or write your controller's annotation "
                "in annotations=.",
            )
        if self.resolved_controller() == "alb":
            for name in ("rate_limit_rps", "max_body_bytes"):
                if getattr(self, name) is not None:
                    raise BlueprintError(
                        f"WebhookIngress.{name}",
                        getattr(self, name),
                        "has no AWS Load Balancer Controller annotation.",
                        "Use AWS WAF rate-based rules, or the blueprint's rate_limit and "
                        "max_payload_size.",
                    )

    def resolved_controller(self) -> Controller | None:
        """``controller``, else the controller ``class_name`` implies, else None."""
        if self.controller is not None:
            return self.controller
        return KNOWN_CLASSES.get(self.class_name or "")

    def all_annotations(self) -> dict[str, str]:
        out = dict(self.annotations)
        if self.tls == "upstream":
            # Read by the CKV_MFB_1 checkov check (metaflow_blueprints.checkov_checks).
            out[TLS_UPSTREAM_ANNOTATION] = "upstream"
        controller = self.resolved_controller()
        if self.allowed_source_ranges:
            key = ALB_ALLOWLIST if controller == "alb" else NGINX_ALLOWLIST
            out[key] = ",".join(self.allowed_source_ranges)
        if self.rate_limit_rps is not None:
            out[NGINX_LIMIT_RPS] = str(self.rate_limit_rps)
        if self.max_body_bytes is not None:
            out[NGINX_BODY_SIZE] = str(self.max_body_bytes)
        return out

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"


class WebhookIngressResource(LibraryConstruct):
    """A ``kubernetes_ingress_v1`` routing exactly ``path`` to an EventSource Service.

    Attributes: ``ingress`` (the Terraform resource), ``url``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: WebhookIngress,
        name: str,
        namespace: str,
        service_name: str,
        port: int,
        path: str,
    ) -> None:
        super().__init__(scope, id)
        claim(self, "Ingress", namespace, name)
        ing = provider_module("kubernetes", "ingress_v1")
        backend = ing.IngressV1SpecRuleHttpPathBackend(
            service=ing.IngressV1SpecRuleHttpPathBackendService(
                name=service_name, port=ing.IngressV1SpecRuleHttpPathBackendServicePort(number=port)
            )
        )
        self.url = props.url(path)
        self.ingress = ing.IngressV1(
            self,
            "ingress",
            metadata=ing.IngressV1Metadata(
                name=name,
                namespace=namespace,
                annotations=props.all_annotations() or None,
                labels={"app.kubernetes.io/managed-by": "metaflow-blueprints"},
            ),
            spec=ing.IngressV1Spec(
                ingress_class_name=props.class_name,
                tls=[ing.IngressV1SpecTls(hosts=[props.host], secret_name=props.tls_secret_name)]
                if props.tls is True
                else None,
                rule=[
                    ing.IngressV1SpecRule(
                        host=props.host,
                        http=ing.IngressV1SpecRuleHttp(
                            path=[
                                ing.IngressV1SpecRuleHttpPath(
                                    path=path, path_type="Exact", backend=backend
                                )
                            ]
                        ),
                    )
                ],
            ),
        )


@dataclass(frozen=True)
class ExposedWebhook:
    """What :func:`expose_webhook` created: URLs and the optional Ingress."""

    url: str
    ingress: WebhookIngressResource | None
    external_url: str | None


def expose_webhook(
    scope: Construct,
    source: EventSource,
    *,
    ingress: WebhookIngress | None,
    secret_path: bool,
    backend: tuple[str, int] | None = None,
) -> ExposedWebhook:
    """Outputs for the URLs of ``source``'s one webhook endpoint, plus its Ingress when
    asked for (named like ``source``, in its namespace).

    Creates, in ``scope``: output ``url`` (in-cluster), and with ``ingress`` an Ingress
    (id ``ingress``) and output ``external_url``. With ``secret_path`` (the path is the
    credential) both outputs are sensitive. ``backend`` (Service name, port) is where the
    Ingress (and the in-cluster ``url``) sends requests; default the EventSource's Service.
    """
    (event,) = source.events.values()
    assert isinstance(event, WebhookEvent), event
    name, namespace, path = source.name, source.namespace, event.endpoint
    service, port = backend if backend else (f"{name}-eventsource-svc", event.port)
    url = f"http://{service}.{namespace}.svc:{port}{path}"
    secret_note = " (its path is the secret)" if secret_path else ""
    TerraformOutput(
        scope,
        "url",
        value=url,
        sensitive=secret_path or None,
        description=f"In-cluster webhook URL{secret_note}.",
    )
    if ingress is None:
        return ExposedWebhook(url, None, None)
    resource = WebhookIngressResource(
        scope,
        "ingress",
        props=ingress,
        name=name,
        namespace=namespace,
        service_name=service,
        port=port,
        path=path,
    )
    TerraformOutput(
        scope,
        "external_url",
        value=resource.url,
        sensitive=secret_path or None,
        description=f"Public webhook URL{secret_note}.",
    )
    return ExposedWebhook(url, resource, resource.url)
