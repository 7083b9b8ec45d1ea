"""A dedicated pull subscription with dead-lettering and the Pub/Sub service-agent grants."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from metaflow_blueprints.checks import check_int_range
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import (
    LABELS,
    check_kms_key,
    check_project,
    check_resource_id,
    pubsub_service_agent,
    topic_path,
)
from metaflow_blueprints.runtime import Construct, TerraformStack, is_unresolved, provider_module

PUBLISHER = "roles/pubsub.publisher"
SUBSCRIBER = "roles/pubsub.subscriber"
KMS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
_GRANTS_ID = "mfb_kms_grants"


class KmsGrants(Construct):
    """One ``cryptoKeyEncrypterDecrypter`` grant per (key, Pub/Sub service agent) per stack.

    Two blueprints with the same ``kms_key_name`` in one project share one IAM member, so
    removing one of them does not revoke what the other's CMEK topics need. Use :meth:`of`.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.grants: dict[tuple[str, str], Any] = {}

    @staticmethod
    def of(scope: Construct) -> KmsGrants:
        stack = TerraformStack.of(scope)
        existing = stack.node.try_find_child(_GRANTS_ID)
        if isinstance(existing, KmsGrants):
            return existing
        return KmsGrants(stack, _GRANTS_ID)

    def grant(self, kms_key_name: str, project: str, member: str) -> Any:
        """The grant for ``kms_key_name`` to ``project``'s service agent ``member``."""
        key = (kms_key_name, project)
        if key not in self.grants:
            kms = provider_module("google", "kms_crypto_key_iam_member")
            digest = hashlib.sha256("\0".join(key).encode()).hexdigest()[:12]
            self.grants[key] = kms.KmsCryptoKeyIamMember(
                self,
                f"grant_{digest}",
                crypto_key_id=kms_key_name,
                role=KMS_ENCRYPTER_DECRYPTER,
                member=member,
            )
        return self.grants[key]


class PubSubSubscription(Construct):
    """A pull subscription owned by one consumer, hardened like terraform-google-modules/pubsub.

    The subscription never expires; undeliverable messages go, after
    ``max_delivery_attempts``, to a dead-letter topic that has its own subscription (so they
    are kept for inspection instead of being dropped). Dead-lettering works only when the
    project's Pub/Sub service agent (``service-NUMBER@gcp-sa-pubsub``) can publish to the
    dead-letter topic and subscribe to this subscription: both grants are created here.

    :param topic: topic id or ``projects/P/topics/T`` to subscribe to (ids are in ``project``).
    :param project: project of the subscription (and of the dead-letter topic).
    :param subscription_id: the subscription's id; the dead-letter topic and its
        subscription are named ``<subscription_id>-dlq``.
    :param ack_deadline_seconds: 10-600. Default 60.
    :param message_retention_seconds: how long unacknowledged messages are kept,
        600-604800. Default 604800 (7 days, the maximum).
    :param minimum_backoff_seconds: retry policy lower bound, 0-600. Default 10.
    :param maximum_backoff_seconds: retry policy upper bound, 0-600. Default 600.
    :param dead_letter: create the dead-letter topic, its subscription and the service-agent
        grants. ``False`` turns dead-lettering off (a poison message is then redelivered
        until it expires). Default ``True``.
    :param max_delivery_attempts: deliveries before dead-lettering, 5-100. Default 5.
    :param project_number: number of ``project`` (names the Pub/Sub service agent).
        Default: read with a ``google_project`` data source.
    :param kms_key_name: Cloud KMS key (customer-managed encryption) of the dead-letter
        topic; the Pub/Sub service agent is granted ``roles/cloudkms.cryptoKeyEncrypterDecrypter``
        on it (``kms_grant``), which any topic encrypted with that key needs. Default:
        Google-managed encryption, no grant.
    :param labels: extra labels. Default: ``managed-by: metaflow-blueprints`` only.

    Attributes: ``subscription`` (``google_pubsub_subscription``), ``subscription_id``,
    ``project``, ``dead_letter_topic``, ``dead_letter_subscription``,
    ``dead_letter_publisher``, ``dead_letter_subscriber`` (service-agent grants),
    ``kms_grant``, ``project_data`` (None when ``project_number`` is given; all None when
    not created), ``service_agent`` (the IAM member).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topic: str,
        project: str,
        subscription_id: str,
        ack_deadline_seconds: int = 60,
        message_retention_seconds: int = 604800,
        minimum_backoff_seconds: int = 10,
        maximum_backoff_seconds: int = 600,
        dead_letter: bool = True,
        max_delivery_attempts: int = 5,
        project_number: str | None = None,
        kms_key_name: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        topic_id = check_subscription_settings(
            topic=topic,
            project=project,
            subscription_id=subscription_id,
            ack_deadline_seconds=ack_deadline_seconds,
            message_retention_seconds=message_retention_seconds,
            minimum_backoff_seconds=minimum_backoff_seconds,
            maximum_backoff_seconds=maximum_backoff_seconds,
            dead_letter=dead_letter,
            max_delivery_attempts=max_delivery_attempts,
            project_number=project_number,
            kms_key_name=kms_key_name,
        )
        all_labels = {**LABELS, **(labels or {})}

        self.project = project
        self.subscription_id = subscription_id
        self.project_data: Any = None
        self.dead_letter_topic: Any = None
        self.dead_letter_subscription: Any = None
        self.dead_letter_publisher: Any = None
        self.dead_letter_subscriber: Any = None
        self.kms_grant: Any = None
        self.service_agent: str | None = None

        sub_mod = provider_module("google", "pubsub_subscription")
        if dead_letter or kms_key_name is not None:
            number = project_number
            if number is None:
                data = provider_module("google", "data_google_project")
                self.project_data = data.DataGoogleProject(self, "project", project_id=project)
                number = self.project_data.number
            self.service_agent = pubsub_service_agent(number)
        if kms_key_name is not None:
            assert self.service_agent is not None
            self.kms_grant = KmsGrants.of(self).grant(
                kms_key_name, str(project_number or project), self.service_agent
            )
        dead_letter_policy = None
        if dead_letter:
            topic_mod = provider_module("google", "pubsub_topic")
            self.dead_letter_topic = topic_mod.PubsubTopic(
                self,
                "dead_letter_topic",
                name=f"{subscription_id}-dlq",
                project=project,
                kms_key_name=kms_key_name,
                labels=all_labels,
                depends_on=[self.kms_grant] if self.kms_grant else None,
            )
            self.dead_letter_subscription = sub_mod.PubsubSubscription(
                self,
                "dead_letter_subscription",
                name=f"{subscription_id}-dlq",
                topic=self.dead_letter_topic.id,
                project=project,
                ack_deadline_seconds=ack_deadline_seconds,
                message_retention_duration=f"{message_retention_seconds}s",
                expiration_policy=sub_mod.PubsubSubscriptionExpirationPolicy(ttl=""),
                labels=all_labels,
            )
            iam_topic = provider_module("google", "pubsub_topic_iam_member")
            self.dead_letter_publisher = iam_topic.PubsubTopicIamMember(
                self,
                "dead_letter_publisher",
                project=project,
                topic=self.dead_letter_topic.name,
                role=PUBLISHER,
                member=self.service_agent,
            )
            dead_letter_policy = sub_mod.PubsubSubscriptionDeadLetterPolicy(
                dead_letter_topic=self.dead_letter_topic.id,
                max_delivery_attempts=max_delivery_attempts,
            )

        self.subscription = sub_mod.PubsubSubscription(
            self,
            "subscription",
            name=subscription_id,
            topic=topic_id,
            project=project,
            ack_deadline_seconds=ack_deadline_seconds,
            message_retention_duration=f"{message_retention_seconds}s",
            retry_policy=sub_mod.PubsubSubscriptionRetryPolicy(
                minimum_backoff=f"{minimum_backoff_seconds}s",
                maximum_backoff=f"{maximum_backoff_seconds}s",
            ),
            expiration_policy=sub_mod.PubsubSubscriptionExpirationPolicy(ttl=""),
            dead_letter_policy=dead_letter_policy,
            labels=all_labels,
        )
        if dead_letter:
            iam_sub = provider_module("google", "pubsub_subscription_iam_member")
            self.dead_letter_subscriber = iam_sub.PubsubSubscriptionIamMember(
                self,
                "dead_letter_subscriber",
                project=project,
                subscription=self.subscription.name,
                role=SUBSCRIBER,
                member=self.service_agent,
            )


def check_subscription_settings(
    *,
    topic: str,
    project: str,
    subscription_id: str,
    ack_deadline_seconds: int = 60,
    message_retention_seconds: int = 604800,
    minimum_backoff_seconds: int = 10,
    maximum_backoff_seconds: int = 600,
    dead_letter: bool = True,
    max_delivery_attempts: int = 5,
    project_number: str | None = None,
    kms_key_name: str | None = None,
) -> str:
    """Validate ``PubSubSubscription`` props (creates nothing); return the topic path."""
    check_project("project", project)
    topic_id = topic_path("topic", topic, project)
    check_resource_id("subscription_id", subscription_id)
    check_int_range("ack_deadline_seconds", ack_deadline_seconds, 10, 600, unit=" s")
    check_int_range("message_retention_seconds", message_retention_seconds, 600, 604800, unit=" s")
    check_int_range("minimum_backoff_seconds", minimum_backoff_seconds, 0, 600, unit=" s")
    check_int_range("maximum_backoff_seconds", maximum_backoff_seconds, 0, 600, unit=" s")
    if (
        not is_unresolved(minimum_backoff_seconds)
        and not is_unresolved(maximum_backoff_seconds)
        and minimum_backoff_seconds > maximum_backoff_seconds
    ):
        raise BlueprintError(
            "minimum_backoff_seconds",
            minimum_backoff_seconds,
            f"is above maximum_backoff_seconds={maximum_backoff_seconds}.",
        )
    check_int_range("max_delivery_attempts", max_delivery_attempts, 5, 100)
    check_kms_key("kms_key_name", kms_key_name)
    if project_number is not None and not is_unresolved(project_number) and not (
        isinstance(project_number, str) and project_number.isdigit()
    ):
        raise BlueprintError(
            "project_number",
            project_number,
            "must be the project number as a string of digits.",
        )
    if not isinstance(dead_letter, bool):
        raise BlueprintError("dead_letter", dead_letter, "must be True or False.")
    return topic_id
