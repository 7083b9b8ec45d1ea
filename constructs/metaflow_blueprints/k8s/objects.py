"""Plain Kubernetes objects the blueprints need, with the typed provider resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.runtime import Construct, provider_module


class KubernetesSecret(Construct):
    """An ``Opaque`` Secret; ``data`` values may be Terraform expressions (kept sensitive).

    Attributes: ``secret`` (the ``kubernetes_secret_v1`` resource), ``name``, ``namespace``,
    and :meth:`ref` for a ``SecretKeyRef`` to one key.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        namespace: str,
        data: Mapping[str, str],
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        claim(self, "Secret", namespace, name)
        secret_v1 = provider_module("kubernetes", "secret_v1")
        self.name = name
        self.namespace = namespace
        self.secret = secret_v1.SecretV1(
            self,
            "secret",
            metadata=secret_v1.SecretV1Metadata(
                name=name, namespace=namespace, labels=dict(labels or {}) or None
            ),
            data=dict(data),
            type="Opaque",
        )

    def ref(self, key: str) -> SecretKeyRef:
        return SecretKeyRef(self.name, key)


class KubernetesServiceAccount(Construct):
    """A ServiceAccount, e.g. annotated for IRSA or GKE Workload Identity.

    Attributes: ``service_account`` (the ``kubernetes_service_account_v1``), ``name``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        namespace: str,
        annotations: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        claim(self, "ServiceAccount", namespace, name)
        sa = provider_module("kubernetes", "service_account_v1")
        self.name = name
        self.namespace = namespace
        self.service_account = sa.ServiceAccountV1(
            self,
            "service_account",
            metadata=sa.ServiceAccountV1Metadata(
                name=name,
                namespace=namespace,
                annotations=dict(annotations or {}) or None,
                labels=dict(labels or {}) or None,
            ),
            automount_service_account_token=True,
        )
