"""Plain Kubernetes objects the blueprints need, with the typed provider resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Required, TypedDict, Unpack

from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.runtime import Construct, LibraryConstruct, nested_block, provider_module


class ObjectMeta(TypedDict, total=False):
    """The identity of one Kubernetes object: ``name`` and ``namespace`` (required) and
    ``labels`` (optional, default none)."""

    name: Required[str]
    namespace: Required[str]
    labels: Mapping[str, str] | None


class KubernetesObject(LibraryConstruct):
    """A construct that creates one named Kubernetes object of ``kind``: it claims
    ``(kind, namespace, name)`` in its stack before anything else.

    Attributes: ``name``, ``namespace``, ``labels`` (None when there are none).
    """

    kind: ClassVar[str]

    def __init__(self, scope: Construct, id: str, **meta: Unpack[ObjectMeta]) -> None:
        super().__init__(scope, id)
        self.name, self.namespace = meta["name"], meta["namespace"]
        claim(self, self.kind, self.namespace, self.name)
        self.labels = dict(meta.get("labels") or {}) or None


class KubernetesSecret(KubernetesObject):
    """An ``Opaque`` Secret; ``data`` values may be Terraform expressions (kept sensitive).

    Attributes: ``secret`` (the ``kubernetes_secret_v1`` resource), ``name``, ``namespace``,
    and :meth:`ref` for a ``SecretKeyRef`` to one key.
    """

    kind = "Secret"

    def __init__(
        self, scope: Construct, id: str, *, data: Mapping[str, str], **meta: Unpack[ObjectMeta]
    ) -> None:
        super().__init__(scope, id, **meta)
        secret_v1 = provider_module("kubernetes", "secret_v1")
        self.secret = secret_v1.SecretV1(
            self,
            "secret",
            metadata=secret_v1.SecretV1Metadata(
                name=self.name, namespace=self.namespace, labels=self.labels
            ),
            data=dict(data),
            type="Opaque",
        )

    def ref(self, key: str) -> SecretKeyRef:
        return SecretKeyRef(self.name, key)


class KubernetesServiceAccount(KubernetesObject):
    """A ServiceAccount, e.g. annotated for IRSA or GKE Workload Identity.

    Attributes: ``service_account`` (the ``kubernetes_service_account_v1``), ``name``.
    """

    kind = "ServiceAccount"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        annotations: Mapping[str, Any] | None = None,
        **meta: Unpack[ObjectMeta],
    ) -> None:
        super().__init__(scope, id, **meta)
        sa = provider_module("kubernetes", "service_account_v1")
        self.service_account = sa.ServiceAccountV1(
            self,
            "service_account",
            metadata=sa.ServiceAccountV1Metadata(
                name=self.name,
                namespace=self.namespace,
                annotations=dict(annotations or {}) or None,
                labels=self.labels,
            ),
            automount_service_account_token=True,
        )


class ConfigMapWriter(KubernetesObject):
    """A ServiceAccount that may only create ConfigMaps in its namespace: a Role, its
    binding and the account, all named ``name``.

    The bridge Sensors run as it so their ``dlqTrigger`` can keep dead letters.
    Attributes: ``name``, ``service_account``, ``role``, ``binding`` and ``resources``
    (what a pod using the account must wait for).
    """

    kind = "Role"

    def __init__(self, scope: Construct, id: str, **meta: Unpack[ObjectMeta]) -> None:
        super().__init__(scope, id, **meta)
        name, namespace, labels = self.name, self.namespace, self.labels
        role_v1 = provider_module("kubernetes", "role_v1")
        binding_v1 = provider_module("kubernetes", "role_binding_v1")
        self.service_account = KubernetesServiceAccount(
            self, "account", name=name, namespace=namespace, labels=labels
        )
        self.role = role_v1.RoleV1(
            self,
            "role",
            metadata=nested_block(  # a list on the kubernetes 3.x bindings (cdktn)
                role_v1.RoleV1,
                "metadata",
                role_v1.RoleV1Metadata(name=name, namespace=namespace, labels=labels),
            ),
            rule=[role_v1.RoleV1Rule(api_groups=[""], resources=["configmaps"], verbs=["create"])],
        )
        self.binding = binding_v1.RoleBindingV1(
            self,
            "binding",
            metadata=binding_v1.RoleBindingV1Metadata(
                name=name, namespace=namespace, labels=labels
            ),
            role_ref=binding_v1.RoleBindingV1RoleRef(api_group="rbac.authorization.k8s.io",
                                                      kind="Role", name=name),
            subject=[
                binding_v1.RoleBindingV1Subject(kind="ServiceAccount", name=name,
                                                 namespace=namespace)
            ],
        )
        self.resources: list[Any] = [
            self.service_account.service_account, self.role, self.binding
        ]
