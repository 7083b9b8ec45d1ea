"""A dedicated pull subscription with dead-lettering and the Pub/Sub service-agent grants."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from metaflow_blueprints import rules
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import (
    LABELS,
    check_kms_key,
    check_project,
    check_resource_id,
    grant_publisher,
    pubsub_service_agent,
    topic_path,
)
from metaflow_blueprints.props import checked, group_values, prop_group
from metaflow_blueprints.runtime import (
    Construct,
    LibraryConstruct,
    is_unresolved,
    provider_module,
)

SUBSCRIBER = "roles/pubsub.subscriber"
KMS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
_GRANTS_ID = "mfb_kms_grants"
#: The dead-letter alert: messages waiting in the dead-letter subscription.
DLQ_ALERT_METRIC = "pubsub.googleapis.com/subscription/num_undelivered_messages"
DLQ_ALERT_PERIOD = 300


class KmsGrants(LibraryConstruct):
    """One ``cryptoKeyEncrypterDecrypter`` grant per (key, Pub/Sub service agent) per stack.

    Two blueprints with the same ``kms_key_name`` in one project share one IAM member, so
    removing one of them does not revoke what the other's CMEK topics need. Use :meth:`of`.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.grants: dict[tuple[str, str], Any] = {}

    @staticmethod
    def of(scope: Construct) -> KmsGrants:
        return KmsGrants.of_stack(scope, _GRANTS_ID)

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


@prop_group(
    {
        "ack_deadline_seconds": 60,
        "message_retention_seconds": 604800,
        "minimum_backoff_seconds": 10,
        "maximum_backoff_seconds": 600,
        "dead_letter": True,
        "max_delivery_attempts": 5,
        "project_number": None,
        "kms_key_name": None,
        "dead_letter_alert": True,
        "dead_letter_notification_channels": (),
    }
)
class SubscriptionSettings(TypedDict, total=False):
    """The settings of a :class:`PubSubSubscription` (a prop group: flat keyword arguments).

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
    :param kms_key_name: Cloud KMS key (customer-managed encryption) of the created topics;
        the Pub/Sub service agent is granted ``roles/cloudkms.cryptoKeyEncrypterDecrypter``
        on it (``kms_grant``), which any topic encrypted with that key needs. Default:
        Google-managed encryption, no grant.
    :param dead_letter_alert: create a Cloud Monitoring alert policy
        (``google_monitoring_alert_policy``) that opens an incident as soon as the
        dead-letter subscription holds a message
        (``pubsub.googleapis.com/subscription/num_undelivered_messages`` > 0, maximum over
        5 minutes). ``False`` creates none. Default ``True`` (with ``dead_letter``).
    :param dead_letter_notification_channels: notification channels of the alert policy
        (``projects/P/notificationChannels/ID``). Default: none (incidents show in the
        console only).
    """

    ack_deadline_seconds: int
    message_retention_seconds: int
    minimum_backoff_seconds: int
    maximum_backoff_seconds: int
    dead_letter: bool
    max_delivery_attempts: int
    project_number: str | None
    kms_key_name: str | None
    dead_letter_alert: bool
    dead_letter_notification_channels: Sequence[str]


class PubSubSubscription(LibraryConstruct):
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
    :param labels: extra labels. Default: ``managed-by: metaflow-blueprints`` only.

    The settings (ack deadline, retention, backoff, dead-lettering, project number, KMS key)
    are the :class:`SubscriptionSettings` group.

    Attributes: ``subscription`` (``google_pubsub_subscription``), ``subscription_id``,
    ``project``, ``dead_letter_topic``, ``dead_letter_subscription``,
    ``dead_letter_publisher``, ``dead_letter_subscriber`` (service-agent grants),
    ``kms_grant``, ``dead_letter_alert`` (``google_monitoring_alert_policy``),
    ``project_data`` (None when ``project_number`` is given; all None when not created),
    ``service_agent`` (the IAM member).
    """

    @checked
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topic: str,
        project: str,
        subscription_id: str,
        labels: Mapping[str, str] | None = None,
        **settings: Unpack[SubscriptionSettings],
    ) -> None:
        super().__init__(scope, id)
        topic_id = check_subscription_settings(
            topic=topic, project=project, subscription_id=subscription_id, **settings
        )
        values = group_values(SubscriptionSettings, settings)
        ack_deadline_seconds = values["ack_deadline_seconds"]
        message_retention_seconds = values["message_retention_seconds"]
        dead_letter = values["dead_letter"]
        project_number = values["project_number"]
        kms_key_name = values["kms_key_name"]
        all_labels = {**LABELS, **(labels or {})}

        self.project = project
        self.subscription_id = subscription_id
        self.project_data: Any = None
        self.dead_letter_topic: Any = None
        self.dead_letter_subscription: Any = None
        self.dead_letter_publisher: Any = None
        self.dead_letter_subscriber: Any = None
        self.kms_grant: Any = None
        self.dead_letter_alert: Any = None
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
            assert self.service_agent is not None
            self.dead_letter_publisher = grant_publisher(
                self,
                "dead_letter_publisher",
                project=project,
                topic=self.dead_letter_topic.name,
                member=self.service_agent,
            )
            dead_letter_policy = sub_mod.PubsubSubscriptionDeadLetterPolicy(
                dead_letter_topic=self.dead_letter_topic.id,
                max_delivery_attempts=values["max_delivery_attempts"],
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
                minimum_backoff=f"{values['minimum_backoff_seconds']}s",
                maximum_backoff=f"{values['maximum_backoff_seconds']}s",
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
            if values["dead_letter_alert"]:
                self.dead_letter_alert = self._alert_policy(
                    values["dead_letter_notification_channels"], all_labels
                )

    def _alert_policy(self, channels: Sequence[str], labels: Mapping[str, str]) -> Any:
        """An incident while the dead-letter subscription holds undelivered messages."""
        dead_letters = f"{self.subscription_id}-dlq"
        policy = provider_module("google", "monitoring_alert_policy")
        return policy.MonitoringAlertPolicy(
            self,
            "dead_letter_alert",
            project=self.project,
            display_name=f"Pub/Sub dead letters in {dead_letters}",
            combiner="OR",
            conditions=[
                policy.MonitoringAlertPolicyConditions(
                    display_name=f"{DLQ_ALERT_METRIC} > 0 on {dead_letters}",
                    condition_threshold=policy.MonitoringAlertPolicyConditionsConditionThreshold(
                        filter=dead_letter_filter(
                            self.project, self.dead_letter_subscription.name
                        ),
                        comparison="COMPARISON_GT",
                        threshold_value=0,
                        duration="0s",
                        aggregations=[
                            policy.MonitoringAlertPolicyConditionsConditionThresholdAggregations(
                                alignment_period=f"{DLQ_ALERT_PERIOD}s",
                                per_series_aligner="ALIGN_MAX",
                            )
                        ],
                        trigger=policy.MonitoringAlertPolicyConditionsConditionThresholdTrigger(
                            count=1
                        ),
                    ),
                )
            ],
            documentation=policy.MonitoringAlertPolicyDocumentation(
                content=(
                    f"Messages that failed every delivery attempt of subscription "
                    f"{self.subscription_id} wait in {dead_letters}. Inspect them and "
                    "re-publish them to the topic (docs/delivery.md)."
                ),
                mime_type="text/markdown",
            ),
            notification_channels=list(channels) or None,
            user_labels=dict(labels),
        )


def dead_letter_filter(project: str, subscription: str) -> str:
    """Cloud Monitoring filter: undelivered messages of ``subscription`` in ``project``."""
    return (
        f'metric.type = "{DLQ_ALERT_METRIC}" AND resource.type = "pubsub_subscription" AND '
        f'resource.labels.project_id = "{project}" AND '
        f'resource.labels.subscription_id = "{subscription}"'
    )


def check_subscription_settings(
    *, topic: str, project: str, subscription_id: str, **settings: Unpack[SubscriptionSettings]
) -> str:
    """Validate ``PubSubSubscription`` props (creates nothing); return the topic path."""
    values = group_values(SubscriptionSettings, settings)
    check_project("project", project)
    topic_id = topic_path("topic", topic, project)
    check_resource_id("subscription_id", subscription_id)
    rules.ACK_DEADLINE_SECONDS.check("ack_deadline_seconds", values["ack_deadline_seconds"])
    retention = values["message_retention_seconds"]
    rules.MESSAGE_RETENTION_SECONDS.check("message_retention_seconds", retention)
    low, high = values["minimum_backoff_seconds"], values["maximum_backoff_seconds"]
    rules.BACKOFF_SECONDS.check("minimum_backoff_seconds", low)
    rules.BACKOFF_SECONDS.check("maximum_backoff_seconds", high)
    if not is_unresolved(low) and not is_unresolved(high) and low > high:
        raise BlueprintError(
            "minimum_backoff_seconds", low, f"is above maximum_backoff_seconds={high}."
        )
    rules.MAX_DELIVERY_ATTEMPTS.check("max_delivery_attempts", values["max_delivery_attempts"])
    check_kms_key("kms_key_name", values["kms_key_name"])
    project_number = values["project_number"]
    if project_number is not None and not is_unresolved(project_number) and not (
        isinstance(project_number, str) and project_number.isdigit()
    ):
        raise BlueprintError(
            "project_number",
            project_number,
            "must be the project number as a string of digits.",
        )
    if not isinstance(values["dead_letter"], bool):
        raise BlueprintError("dead_letter", values["dead_letter"], "must be True or False.")
    _check_alert(
        values["dead_letter"],
        values["dead_letter_alert"],
        values["dead_letter_notification_channels"],
    )
    return topic_id


def _check_alert(dead_letter: bool, alert: bool, channels: Sequence[str]) -> None:
    if not isinstance(alert, bool):
        raise BlueprintError("dead_letter_alert", alert, "must be True or False.")
    rules.NOTIFICATION_CHANNELS.check("dead_letter_notification_channels", channels)
    if channels and not (alert and dead_letter):
        raise BlueprintError(
            "dead_letter_notification_channels",
            list(channels),
            "need the dead-letter alert (dead_letter=True and dead_letter_alert=True).",
        )
