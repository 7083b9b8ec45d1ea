"""A Google service account that may only pull one subscription, used by a Kubernetes pod
through GKE Workload Identity (no keys)."""

from __future__ import annotations

from collections.abc import Mapping

from metaflow_blueprints.argo import check_object_name
from metaflow_blueprints.gcp.common import (
    check_account_id,
    check_project,
    workload_identity_member,
)
from metaflow_blueprints.k8s.objects import KubernetesServiceAccount
from metaflow_blueprints.runtime import Construct, LibraryConstruct, provider_module

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
SUBSCRIBER = "roles/pubsub.subscriber"
GKE_ANNOTATION = "iam.gke.io/gcp-service-account"


class PubSubSubscriberIdentity(LibraryConstruct):
    """Google service account + Kubernetes service account for a Pub/Sub consumer pod.

    The Google service account holds ``roles/pubsub.subscriber`` on ``subscription`` only
    (no project-wide role), and ``roles/iam.workloadIdentityUser`` is granted on it to
    ``serviceAccount:<pool>[<namespace>/<kubernetes_service_account>]``; the Kubernetes
    service account carries the ``iam.gke.io/gcp-service-account`` annotation. No key is
    ever created.

    :param project: project of the Google service account.
    :param account_id: the Google service account id (6-30 characters).
    :param subscription: subscription id or path to grant ``roles/pubsub.subscriber`` on.
    :param subscription_project: project of ``subscription`` when given as an id.
        Default ``project``.
    :param namespace: namespace of the Kubernetes service account.
    :param kubernetes_service_account: its name.
    :param workload_identity_pool: the GKE cluster's pool. Default ``<project>.svc.id.goog``
        (set it when the cluster runs in another project).
    :param display_name: shown in the console. Default: derived from ``account_id``.
    :param labels: labels on the Kubernetes service account.

    Attributes: ``service_account`` (``google_service_account``), ``email``, ``member``
    (``serviceAccount:<email>``), ``subscriber`` (``google_pubsub_subscription_iam_member``),
    ``workload_identity_user`` (``google_service_account_iam_member``),
    ``kubernetes_service_account`` (``KubernetesServiceAccount``), ``workload_identity_member``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project: str,
        account_id: str,
        subscription: str,
        namespace: str,
        kubernetes_service_account: str,
        subscription_project: str | None = None,
        workload_identity_pool: str | None = None,
        display_name: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        check_project("project", project)
        check_account_id("account_id", account_id)
        if subscription_project is not None:
            check_project("subscription_project", subscription_project)
        check_object_name("kubernetes_service_account", kubernetes_service_account)
        pool = workload_identity_pool or f"{project}.svc.id.goog"

        sa_mod = provider_module("google", "service_account")
        self.service_account = sa_mod.ServiceAccount(
            self,
            "service_account",
            account_id=account_id,
            project=project,
            display_name=display_name or f"Pub/Sub consumer {account_id}",
            description=(
                f"Argo Events Pub/Sub source {namespace}/{kubernetes_service_account} "
                "(metaflow-blueprints); subscriber on one subscription only."
            ),
        )
        self.email: str = self.service_account.email
        self.member: str = self.service_account.member
        iam_sub = provider_module("google", "pubsub_subscription_iam_member")
        self.subscriber = iam_sub.PubsubSubscriptionIamMember(
            self,
            "subscriber",
            project=subscription_project or project,
            subscription=subscription,
            role=SUBSCRIBER,
            member=self.member,
        )
        self.workload_identity_member = workload_identity_member(
            pool, namespace, kubernetes_service_account
        )
        iam_sa = provider_module("google", "service_account_iam_member")
        self.workload_identity_user = iam_sa.ServiceAccountIamMember(
            self,
            "workload_identity_user",
            service_account_id=self.service_account.name,
            role=WORKLOAD_IDENTITY_USER,
            member=self.workload_identity_member,
        )
        self.kubernetes_service_account = KubernetesServiceAccount(
            self,
            "kubernetes_service_account",
            name=kubernetes_service_account,
            namespace=namespace,
            annotations={GKE_ANNOTATION: self.email},
            labels=labels,
        )
