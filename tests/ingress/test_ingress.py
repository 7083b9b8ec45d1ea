"""WebhookIngress: TLS by default, per-controller allowlists and limits, bad input.

The rendered Ingress is read back from Terraform JSON, and the host/name rules are checked
against the Kubernetes validation regexes' intent (DNS-1123) and against RE2 where the
module repeats them.
"""

from __future__ import annotations

from typing import Any

import pytest

from metaflow_blueprints.argo import RateLimit
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.ingress import (
    ALB_ALLOWLIST,
    NGINX_ALLOWLIST,
    NGINX_BODY_SIZE,
    NGINX_LIMIT_RPS,
    WebhookIngress,
)
from metaflow_blueprints.metaflow_events import MetaflowEvents
from tests.helpers import manifests, resources, synth


def _hook(ingress: WebhookIngress | None, **extra: Any) -> dict[str, Any]:
    def build(stack: Any) -> None:
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        WebhookToMetaflow(
            stack, "hook", metaflow=metaflow, event="data.updated", ingress=ingress, **extra
        )

    return synth(build)


def _ingress(terraform: dict[str, Any]) -> dict[str, Any]:
    (ingress,) = resources(terraform, "kubernetes_ingress_v1").values()
    return ingress  # type: ignore[no-any-return]


def _external_url(terraform: dict[str, Any]) -> str:
    (url,) = [v["value"] for k, v in terraform["output"].items() if "external_url" in k]
    return url  # type: ignore[no-any-return]


def test_a_host_only_ingress_serves_tls() -> None:
    terraform = _hook(WebhookIngress(host="hooks.example.com"))
    ingress = _ingress(terraform)
    assert ingress["spec"]["tls"] == [{"hosts": ["hooks.example.com"]}]
    assert _external_url(terraform).startswith("https://hooks.example.com/")


def test_tls_with_a_certificate_secret() -> None:
    ingress = _ingress(_hook(WebhookIngress(host="hooks.example.com", tls_secret_name="hooks-tls")))
    assert ingress["spec"]["tls"] == [{"hosts": ["hooks.example.com"], "secret_name": "hooks-tls"}]


def test_tls_terminated_upstream_has_no_tls_block_but_an_https_url() -> None:
    terraform = _hook(WebhookIngress(host="hooks.example.com", tls="upstream"))
    assert "tls" not in _ingress(terraform)["spec"]
    assert _external_url(terraform).startswith("https://")


def test_plain_http_only_when_asked_for() -> None:
    terraform = _hook(WebhookIngress(host="hooks.example.com", tls=False))
    assert "tls" not in _ingress(terraform)["spec"]
    assert _external_url(terraform).startswith("http://hooks.example.com/")


def test_nginx_allowlist_rate_limit_and_body_size() -> None:
    ingress = _ingress(
        _hook(
            WebhookIngress(
                host="hooks.example.com",
                class_name="nginx",
                allowed_source_ranges=["203.0.113.0/24", "2001:db8::/32"],
                rate_limit_rps=5,
                max_body_bytes=65536,
            )
        )
    )
    assert ingress["metadata"]["annotations"] == {
        NGINX_ALLOWLIST: "203.0.113.0/24,2001:db8::/32",
        NGINX_LIMIT_RPS: "5",
        NGINX_BODY_SIZE: "65536",
    }


def test_alb_allowlist_uses_the_alb_annotation() -> None:
    ingress = _ingress(
        _hook(
            WebhookIngress(
                host="hooks.example.com", class_name="alb", allowed_source_ranges=["192.0.2.0/24"]
            )
        )
    )
    assert ingress["metadata"]["annotations"] == {ALB_ALLOWLIST: "192.0.2.0/24"}
    # The nginx annotation would do nothing on an ALB while looking like an allowlist.
    assert NGINX_ALLOWLIST not in ingress["metadata"]["annotations"]


def test_controller_prop_maps_a_custom_class_name() -> None:
    ingress = _ingress(
        _hook(
            WebhookIngress(
                host="hooks.example.com",
                class_name="internet-facing",
                controller="alb",
                allowed_source_ranges=["192.0.2.0/24"],
            )
        )
    )
    assert ingress["metadata"]["annotations"] == {ALB_ALLOWLIST: "192.0.2.0/24"}


def test_argo_rate_limit_and_max_payload_size_are_rendered() -> None:
    terraform = _hook(
        WebhookIngress(host="hooks.example.com"),
        rate_limit=RateLimit(10, "Minute"),
        max_payload_size=65536,
    )
    (source,) = manifests(terraform, "EventSource")
    (webhook,) = source["spec"]["webhook"].values()
    assert webhook["maxPayloadSize"] == 65536
    (sensor,) = manifests(terraform, "Sensor")
    (trigger,) = sensor["spec"]["triggers"]
    assert trigger["rateLimit"] == {"unit": "Minute", "requestsPerUnit": 10}


def test_auth_none_behind_an_ingress_needs_the_opt_in() -> None:
    with pytest.raises(BlueprintError) as info:
        _hook(WebhookIngress(host="hooks.example.com"), auth=None)
    assert info.value.field == "auth"
    assert "allow_unauthenticated" in str(info.value)
    terraform = _hook(
        WebhookIngress(host="hooks.example.com"), auth=None, allow_unauthenticated=True
    )
    (source,) = manifests(terraform, "EventSource")
    (webhook,) = source["spec"]["webhook"].values()
    assert "authSecret" not in webhook
    # In-cluster only needs no opt-in.
    assert "kubernetes_ingress_v1" not in _hook(None, auth=None)["resource"]


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"host": "hooks.example.com\nevil.com"}, "WebhookIngress.host"),
        ({"host": "hooks example.com"}, "WebhookIngress.host"),
        ({"host": "*.example.com"}, "WebhookIngress.host"),
        ({"host": "203.0.113.7"}, "WebhookIngress.host"),
        ({"host": "2001:db8::1"}, "WebhookIngress.host"),
        ({"host": ("a" * 63 + ".") * 4 + "com"}, "WebhookIngress.host"),  # 256 characters
        ({"host": "Hooks.Example.com"}, "WebhookIngress.host"),
        ({"host": "https://hooks.example.com"}, "WebhookIngress.host"),
        ({"host": "hooks.example.com:443"}, "WebhookIngress.host"),
        ({"host": ""}, "WebhookIngress.host"),
        ({"tls_secret_name": "Bad_Name"}, "WebhookIngress.tls_secret_name"),
        ({"tls_secret_name": "tls", "tls": "upstream"}, "WebhookIngress.tls_secret_name"),
        ({"tls": "yes"}, "WebhookIngress.tls"),
        ({"class_name": "nginx class"}, "WebhookIngress.class_name"),
        ({"controller": "traefik"}, "WebhookIngress.controller"),
        ({"allowed_source_ranges": ["not-a-cidr"]}, "WebhookIngress.allowed_source_ranges"),
        ({"allowed_source_ranges": ["10.0.0.0/33"]}, "WebhookIngress.allowed_source_ranges"),
        ({"allowed_source_ranges": ["0.0.0.0/0"]}, "WebhookIngress.allowed_source_ranges"),
        ({"allowed_source_ranges": ["::/0"]}, "WebhookIngress.allowed_source_ranges"),
        ({"allowed_source_ranges": "10.0.0.0/8"}, "WebhookIngress.allowed_source_ranges"),
        # No class we can map: an allowlist would be silently ignored.
        (
            {"class_name": "traefik", "allowed_source_ranges": ["10.0.0.0/8"]},
            "WebhookIngress.allowed_source_ranges",
        ),
        ({"allowed_source_ranges": ["10.0.0.0/8"]}, "WebhookIngress.allowed_source_ranges"),
        ({"class_name": "alb", "rate_limit_rps": 5}, "WebhookIngress.rate_limit_rps"),
        ({"class_name": "nginx", "rate_limit_rps": 0}, "WebhookIngress.rate_limit_rps"),
        ({"class_name": "nginx", "max_body_bytes": -1}, "WebhookIngress.max_body_bytes"),
    ],
)
def test_bad_ingress_props(props: dict[str, Any], field: str) -> None:
    with pytest.raises(BlueprintError) as info:
        WebhookIngress(**{"host": "hooks.example.com", **props})
    assert info.value.field == field


def test_good_hosts() -> None:
    for host in ("hooks.example.com", "localhost", "a-b.c0.example", ("a" * 63 + ".") * 3 + "com"):
        WebhookIngress(host=host)


def test_register_webhook_refuses_plain_http() -> None:
    from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow
    from metaflow_blueprints.runtime import App, TerraformStack

    stack = TerraformStack(App(), "errors")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    with pytest.raises(BlueprintError) as info:
        FivetranToMetaflow(
            stack,
            "ft",
            metaflow=metaflow,
            event="fivetran.sync",
            ingress=WebhookIngress(host="hooks.example.com", tls=False),
            register_webhook=True,
        )
    assert info.value.field == "register_webhook"
    assert stack.node.try_find_child("ft") is None
