"""Expose a webhook EventSource outside the cluster with a Kubernetes Ingress."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from metaflow_blueprints.errors import BlueprintError, is_placeholder
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.props import check_type
from metaflow_blueprints.runtime import Construct, TerraformOutput, provider_module

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
        check_type("WebhookIngress.host", self.host, str)
        check_type("WebhookIngress.tls_secret_name", self.tls_secret_name, str | None)
        check_type("WebhookIngress.class_name", self.class_name, str | None)
        check_type(
            "WebhookIngress.allowed_source_ranges", self.allowed_source_ranges, Sequence[str]
        )
        check_type("WebhookIngress.annotations", self.annotations, Mapping[str, str])
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


@dataclass(frozen=True)
class ExposedWebhook:
    """What :func:`expose_webhook` created: URLs and the optional Ingress."""

    url: str
    ingress: WebhookIngressResource | None
    external_url: str | None


def expose_webhook(
    scope: Construct,
    *,
    name: str,
    namespace: str,
    port: int,
    path: str,
    ingress: WebhookIngress | None,
    secret_path: bool,
) -> ExposedWebhook:
    """Outputs for a webhook EventSource's URLs, plus its Ingress when asked for.

    Creates, in ``scope``: output ``url`` (in-cluster), and with ``ingress`` an Ingress
    (id ``ingress``) and output ``external_url``. With ``secret_path`` (the path is the
    credential) both outputs are sensitive.
    """
    service = f"{name}-eventsource-svc"
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
