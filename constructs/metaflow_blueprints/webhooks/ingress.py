"""Expose a webhook EventSource outside the cluster with a Kubernetes Ingress."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from metaflow_blueprints.errors import BlueprintError, is_placeholder
from metaflow_blueprints.runtime import Construct, provider_module

#: ingress-nginx's source-IP allowlist annotation.
NGINX_ALLOWLIST = "nginx.ingress.kubernetes.io/whitelist-source-range"


@dataclass(frozen=True)
class WebhookIngress:
    """How to expose a webhook: host, TLS, class and annotations.

    :param host: public host name, e.g. ``hooks.example.com``.
    :param tls_secret_name: Secret with the certificate for ``host``. Default: no TLS block
        (only acceptable when TLS ends in front of the Ingress, e.g. at a load balancer).
    :param class_name: IngressClass. Default: the cluster's default class.
    :param allowed_source_ranges: CIDRs allowed to call the webhook, written as the
        ingress-nginx allowlist annotation. Other controllers: use ``annotations``.
    :param annotations: extra Ingress annotations (e.g. cert-manager issuer).
    """

    host: str
    tls_secret_name: str | None = None
    class_name: str | None = None
    allowed_source_ranges: Sequence[str] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not is_placeholder(self.host) and (
            not self.host or "/" in self.host or ":" in self.host
        ):
            raise BlueprintError(
                "WebhookIngress.host",
                self.host,
                "must be a bare host name (no scheme, path or port).",
            )
        for cidr in self.allowed_source_ranges:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise BlueprintError(
                    "WebhookIngress.allowed_source_ranges", cidr, "is not a CIDR range."
                ) from None

    def all_annotations(self) -> dict[str, str]:
        out = dict(self.annotations)
        if self.allowed_source_ranges:
            out[NGINX_ALLOWLIST] = ",".join(self.allowed_source_ranges)
        return out

    def url(self, path: str) -> str:
        scheme = "https" if self.tls_secret_name else "http"
        return f"{scheme}://{self.host}{path}"


class WebhookIngressResource(Construct):
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
                name=name, namespace=namespace, annotations=props.all_annotations() or None
            ),
            spec=ing.IngressV1Spec(
                ingress_class_name=props.class_name,
                tls=[ing.IngressV1SpecTls(hosts=[props.host], secret_name=props.tls_secret_name)]
                if props.tls_secret_name
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
