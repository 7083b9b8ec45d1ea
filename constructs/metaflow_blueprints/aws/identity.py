"""How the Argo SQS event source authenticates to AWS: IRSA, EKS Pod Identity or static keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from metaflow_blueprints import rules
from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.context import AwsContext
from metaflow_blueprints.errors import BlueprintError, is_token
from metaflow_blueprints.k8s.objects import KubernetesServiceAccount
from metaflow_blueprints.props import checked
from metaflow_blueprints.runtime import Construct, LibraryConstruct, provider_module

#: EKS CreateCluster's name rule.
EKS_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class SqsConsumer:
    """The cluster-side identity of an SQS event source. Build with a class method.

    * :meth:`irsa` — IAM roles for service accounts (the cluster's OIDC provider).
    * :meth:`pod_identity` — EKS Pod Identity (an association per service account).
    * :meth:`static_keys` — access keys from an existing Secret (only when asked for).
    """

    mode: Literal["irsa", "pod_identity", "static_keys"]
    oidc_provider_arn: str | None = None
    issuer: str | None = None
    cluster_name: str | None = None
    access_key: SecretKeyRef | None = None
    secret_key: SecretKeyRef | None = None

    @staticmethod
    @checked
    def irsa(oidc_provider_arn: str, issuer: str) -> SqsConsumer:
        """IRSA: IAM roles for service accounts.

        :param oidc_provider_arn: ARN of the cluster's IAM OIDC provider.
        :param issuer: its issuer URL (``https://oidc.eks.<region>.amazonaws.com/id/<ID>``;
            ``https://`` optional).
        """
        rules.OIDC_PROVIDER_ARN.check("oidc_provider_arn", oidc_provider_arn)
        rules.OIDC_ISSUER.check("issuer", issuer)
        if not is_token(issuer) and not is_token(oidc_provider_arn):
            _check_issuer_matches(oidc_provider_arn, issuer)
        return SqsConsumer("irsa", oidc_provider_arn=oidc_provider_arn, issuer=issuer)

    @staticmethod
    @checked
    def pod_identity(*, cluster_name: str) -> SqsConsumer:
        """EKS Pod Identity (needs the Pod Identity agent add-on).

        :param cluster_name: the EKS cluster the association is made on.
        """
        if not cluster_name:
            raise BlueprintError("cluster_name", cluster_name, "is required for pod identity.")
        if not is_token(cluster_name) and not EKS_CLUSTER_NAME.fullmatch(cluster_name):
            raise BlueprintError(
                "cluster_name",
                cluster_name,
                "is not an EKS cluster name (1-100 letters, digits, '-' and '_', starting "
                "with a letter or digit).",
            )
        return SqsConsumer("pod_identity", cluster_name=cluster_name)

    @staticmethod
    @checked
    def static_keys(*, access_key: SecretKeyRef, secret_key: SecretKeyRef) -> SqsConsumer:
        """Long-lived keys read from an existing Secret in the Argo Events namespace.

        Not recommended: the keys' IAM user must be granted the queue permissions outside
        this library.

        :param access_key: Secret key holding the access key id.
        :param secret_key: Secret key holding the secret access key.
        """
        if not isinstance(access_key, SecretKeyRef) or not isinstance(secret_key, SecretKeyRef):
            raise BlueprintError(
                "static_keys", (access_key, secret_key), "needs two SecretKeyRef values."
            )
        return SqsConsumer("static_keys", access_key=access_key, secret_key=secret_key)


def check_consumer(consumer: object) -> SqsConsumer:
    if not isinstance(consumer, SqsConsumer):
        raise BlueprintError(
            "consumer",
            consumer,
            "must be an SqsConsumer.",
            "Use SqsConsumer.irsa(...), SqsConsumer.pod_identity(...) or, only if you must, "
            "SqsConsumer.static_keys(...).",
        )
    return consumer


def _check_issuer_matches(oidc_provider_arn: str, issuer: str) -> None:
    """The trust policy keys on ``<provider host/path>:sub``: issuer and ARN must agree."""
    provider = oidc_provider_arn.split(":oidc-provider/", 1)[1]
    if issuer.endswith("/"):
        raise BlueprintError(
            "issuer",
            issuer,
            "ends with '/': the role's trust condition would never match the token.",
            f"Use {issuer.rstrip('/')!r}.",
        )
    if issuer.removeprefix("https://") != provider:
        raise BlueprintError(
            "issuer",
            issuer,
            f"does not match the OIDC provider ARN {oidc_provider_arn!r}.",
            f"The provider's issuer is 'https://{provider}'.",
        )


def cluster_arn(context: AwsContext, cluster_name: str) -> str:
    """The EKS cluster's ARN in the stack's account, partition and region (the association
    is created there, so the cluster is there too)."""
    return (
        f"arn:{context.partition}:eks:{context.region}:{context.account_id}:cluster/{cluster_name}"
    )


class SqsConsumerIdentity(LibraryConstruct):
    """An IAM role that may only consume one queue, bound to a Kubernetes service account.

    For IRSA: the role trusts exactly ``system:serviceaccount:<namespace>:<name>`` with
    audience ``sts.amazonaws.com``, and the service account carries the
    ``eks.amazonaws.com/role-arn`` annotation. For Pod Identity: the role trusts
    ``pods.eks.amazonaws.com`` only for sessions tagged with this namespace, service
    account and cluster ARN (EKS session tags), and an ``aws_eks_pod_identity_association``
    binds it.
    Static keys create nothing.

    Attributes: ``role``, ``role_policy``, ``service_account`` (``KubernetesServiceAccount``),
    ``pod_identity_association`` (each None when not used), ``service_account_name``,
    ``policy_document``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        consumer: SqsConsumer,
        name: str,
        namespace: str,
        queue_arn: str,
        kms_key_arn: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        check_consumer(consumer)
        self.consumer = consumer
        self.role = None
        self.role_policy = None
        self.service_account: KubernetesServiceAccount | None = None
        self.pod_identity_association = None
        self.service_account_name: str | None = None
        self.policy_document = policies.consumer_policy(queue_arn, kms_key_arn)
        if consumer.mode == "static_keys":
            return
        context = AwsContext.of(self)
        if consumer.mode == "irsa":
            assert consumer.oidc_provider_arn is not None and consumer.issuer is not None
            trust = policies.irsa_trust(
                oidc_provider_arn=consumer.oidc_provider_arn,
                issuer=consumer.issuer,
                namespace=namespace,
                service_account=name,
            )
        else:
            assert consumer.cluster_name is not None
            trust = policies.pod_identity_trust(
                account_id=context.account_id,
                namespace=namespace,
                service_account=name,
                cluster_arn=cluster_arn(context, consumer.cluster_name),
            )
        iam_role = provider_module("aws", "iam_role")
        self.role = iam_role.IamRole(
            self,
            "role",
            name=name,
            description=f"Argo Events SQS event source {namespace}/{name}: consume one queue.",
            assume_role_policy=policies.render(trust),
            max_session_duration=3600,
        )
        self.role_policy = provider_module("aws", "iam_role_policy").IamRolePolicy(
            self,
            "policy",
            name="consume-queue",
            role=self.role.id,
            policy=policies.render(self.policy_document),
        )
        annotations = (
            {"eks.amazonaws.com/role-arn": self.role.arn} if consumer.mode == "irsa" else {}
        )
        self.service_account = KubernetesServiceAccount(
            self,
            "service_account",
            name=name,
            namespace=namespace,
            annotations=annotations,
            labels=labels,
        )
        self.service_account_name = name
        if consumer.mode == "pod_identity":
            assert consumer.cluster_name is not None
            self.pod_identity_association = provider_module(
                "aws", "eks_pod_identity_association"
            ).EksPodIdentityAssociation(
                self,
                "association",
                cluster_name=consumer.cluster_name,
                namespace=namespace,
                service_account=name,
                role_arn=self.role.arn,
                # The trust policy matches the session tags EKS adds: keep them on.
                disable_session_tags=False,
            )
