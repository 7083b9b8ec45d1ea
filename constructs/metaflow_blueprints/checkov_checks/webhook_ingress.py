"""CKV_MFB_1 and CKV_MFB_2: Ingresses in front of Argo Events webhooks (see ``__init__``)."""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

#: Backend Services of Argo Events EventSources are named ``<eventsource>-eventsource-svc``.
EVENTSOURCE_SERVICE_SUFFIX = "-eventsource-svc"
MANAGED_BY = ("app.kubernetes.io/managed-by", "metaflow-blueprints")
#: Written by ``WebhookIngress(tls="upstream")``: a load balancer ends TLS in front.
TLS_ANNOTATION = ("metaflow-blueprints.io/tls", "upstream")
INGRESS_TYPES = ["kubernetes_ingress_v1", "kubernetes_ingress"]


def _unwrap(value: Any) -> Any:
    """checkov wraps every value in a one-element list and adds ``__startline__`` keys."""
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], (dict, list)):
            return value[0]
        return [_unwrap(v) for v in value]
    return value


def _items(value: Any) -> list[Any]:
    """A block that may be one dict or a list of dicts, as a list."""
    if value is None:
        return []
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], list):
            return list(value[0])
        return value
    return [value]


def _first(value: Any) -> Any:
    items = _items(value)
    return items[0] if items else {}


def backend_services(ingress: dict[str, Any]) -> list[str]:
    """Every backend Service name of an Ingress resource (default backend included)."""
    names: list[str] = []
    spec = _first(ingress.get("spec"))
    backends = [_first(spec.get("default_backend")), _first(spec.get("backend"))]
    for rule in _items(spec.get("rule")):
        for http in _items(rule.get("http")):
            backends.extend(_first(path.get("backend")) for path in _items(http.get("path")))
    for backend in backends:
        service = _first(backend.get("service")) if isinstance(backend, dict) else {}
        name = service.get("name") if isinstance(service, dict) else None
        if name is None and isinstance(backend, dict):
            name = backend.get("service_name")  # kubernetes_ingress (v1beta1)
        if isinstance(name, str):
            names.append(name)
    return names


def _metadata(ingress: dict[str, Any]) -> dict[str, Any]:
    metadata = _first(ingress.get("metadata"))
    return metadata if isinstance(metadata, dict) else {}


def fronts_a_webhook(ingress: dict[str, Any]) -> bool:
    labels = _first(_metadata(ingress).get("labels")) or {}
    managed = isinstance(labels, dict) and labels.get(MANAGED_BY[0]) == MANAGED_BY[1]
    return managed or any(n.endswith(EVENTSOURCE_SERVICE_SUFFIX) for n in backend_services(ingress))


def serves_tls(ingress: dict[str, Any]) -> bool:
    spec = _first(ingress.get("spec"))
    if any(isinstance(t, dict) and t for t in _items(spec.get("tls"))):
        return True
    annotations = _first(_metadata(ingress).get("annotations")) or {}
    return isinstance(annotations, dict) and annotations.get(TLS_ANNOTATION[0]) == TLS_ANNOTATION[1]


def _candidates(scanned_file: str) -> list[Path]:
    """Where ``scanned_file`` (relative to checkov's root, with a leading '/') may be."""
    relative = scanned_file.lstrip("/")
    roots = [Path(os.getcwd())]
    args = sys.argv[1:]
    for flag in ("-d", "--directory", "-f", "--file"):
        for index, arg in enumerate(args[:-1]):
            if arg == flag:
                target = Path(args[index + 1])
                roots.append(target if flag in ("-d", "--directory") else target.parent)
                roots.append(target.parent)
    return [Path(scanned_file), *(root / relative for root in roots)]


@lru_cache(maxsize=64)
def _load(path: str) -> dict[str, Any] | None:
    try:
        loaded = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def event_sources(scanned_file: str) -> dict[str, dict[str, Any]] | None:
    """EventSource manifests of the scanned file by name, or None if it cannot be read."""
    for candidate in _candidates(scanned_file):
        terraform = _load(str(candidate))
        if terraform is None:
            continue
        found: dict[str, dict[str, Any]] = {}
        for resource in terraform.get("resource", {}).get("kubernetes_manifest", {}).values():
            manifest = resource.get("manifest", {}) if isinstance(resource, dict) else {}
            if isinstance(manifest, dict) and manifest.get("kind") == "EventSource":
                found[str(manifest.get("metadata", {}).get("name"))] = manifest
        return found
    return None


def unauthenticated_webhooks(manifest: dict[str, Any]) -> list[str]:
    """Names of the EventSource's webhook events without ``authSecret``."""
    webhooks = manifest.get("spec", {}).get("webhook", {}) or {}
    return [name for name, event in webhooks.items() if not (event or {}).get("authSecret")]


class WebhookIngressServesTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure an Ingress in front of an Argo Events webhook serves TLS",
            id="CKV_MFB_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=INGRESS_TYPES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        ingress = _unwrap(conf)
        if not fronts_a_webhook(ingress):
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if serves_tls(ingress) else CheckResult.FAILED


class WebhookIngressNeedsAuth(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure an Ingress does not expose an Argo Events webhook without authentication",
            id="CKV_MFB_2",
            categories=[CheckCategories.IAM],
            supported_resources=INGRESS_TYPES,
        )
        self._scanned_file = ""

    def run(
        self,
        scanned_file: str,
        entity_configuration: dict[str, Any],
        entity_name: str,
        entity_type: str,
        skip_info: Any,
    ) -> Any:
        self._scanned_file = scanned_file
        return super().run(scanned_file, entity_configuration, entity_name, entity_type, skip_info)

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        ingress = _unwrap(conf)
        targets = [
            name.removesuffix(EVENTSOURCE_SERVICE_SUFFIX)
            for name in backend_services(ingress)
            if name.endswith(EVENTSOURCE_SERVICE_SUFFIX)
        ]
        if not targets:
            return CheckResult.PASSED if fronts_a_webhook(ingress) else CheckResult.UNKNOWN
        sources = event_sources(self._scanned_file)
        if sources is None:
            return CheckResult.UNKNOWN
        judged = [sources[name] for name in targets if name in sources]
        if not judged:
            return CheckResult.UNKNOWN
        if any(unauthenticated_webhooks(manifest) for manifest in judged):
            return CheckResult.FAILED
        return CheckResult.PASSED


tls_check = WebhookIngressServesTls()
auth_check = WebhookIngressNeedsAuth()
