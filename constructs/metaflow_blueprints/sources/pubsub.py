"""The Pub/Sub consumer machinery (subscription, identity, EventSource) that
``PubSubToMetaflow``, ``GcsToMetaflow`` and Snowflake's Pub/Sub route share."""


from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metaflow_blueprints.argo import (
    DataFilter,
    EventSource,
    PubSubEvent,
    derive_name,
)
from metaflow_blueprints.argo.filters import Filter
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.gcp.common import LABELS, check_account_id, check_project
from metaflow_blueprints.gcp.identity import PubSubSubscriberIdentity
from metaflow_blueprints.gcp.subscription import (
    PubSubSubscription,
    SubscriptionSettings,
    check_subscription_settings,
)
from metaflow_blueprints.k8s.manifests import ArgoEventSource
from metaflow_blueprints.metaflow import PayloadField
from metaflow_blueprints.metaflow.bridge import MANAGED_BY, Bridge
from metaflow_blueprints.metaflow.payload import split_path
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.props import group_defaults, group_values, pick, prop_group
from metaflow_blueprints.runtime import Construct, is_unresolved, provider_module
from metaflow_blueprints.sources.base import SourceProps, add_bridge_sensor, as_payload

#: Metaflow ``timestamp`` = the message's publish time (Argo renders it with Go's
#: ``time.String()``: ``2025-01-15 10:20:30.123 +0000 UTC``); the bridge's clock otherwise.
PUBLISH_TIME_JQ = (
    '(.publishTime | if (type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2} '
    '[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)? [+]0000 UTC$")) '
    'then (.[0:10] + "T" + .[11:19] + "Z" | fromdateiso8601) else (now | floor) end)'
)
_GJSON_SPECIAL = re.compile(r"([.*?])")
_ATTRIBUTE = re.compile(r"^[^|#@\\]+$")


def attribute_path(name: str, field_name: str = "attributes_filter") -> str:
    """gjson path of message attribute ``name`` (dots and wildcards escaped)."""
    if not isinstance(name, str) or not _ATTRIBUTE.fullmatch(name) or name.startswith("goog"):
        raise BlueprintError(
            field_name,
            name,
            "is not a usable attribute name.",
            "Attribute names must be non-empty, must not start with 'goog' and must not "
            "contain '|', '#', '@' or '\\'.",
        )
    return "attributes." + _GJSON_SPECIAL.sub(r"\\\1", name)


def attribute_filters(attributes: Mapping[str, str | Sequence[str]] | None) -> list[Filter]:
    """``{"kind": "order"}`` -> exact-match data filters on message attributes."""
    if attributes is None:
        return []
    if not isinstance(attributes, Mapping):
        raise BlueprintError(
            "attributes_filter", attributes, "must map attribute names to a value or values."
        )
    out: list[Filter] = []
    for name, wanted in attributes.items():
        values = (wanted,) if isinstance(wanted, str) else tuple(wanted)
        if not values or not all(isinstance(v, str) and v for v in values):
            raise BlueprintError(
                f"attributes_filter[{name!r}]", wanted, "must be a non-empty string or strings."
            )
        if any(is_unresolved(v) for v in values):
            raise BlueprintError(
                f"attributes_filter[{name!r}]",
                wanted,
                "must be literal strings: filter values become regular expressions in the Sensor.",
            )
        out.append(DataFilter.at(attribute_path(name)).string().equals(*values))
    return out


def message_payload(
    payload: Mapping[str, str | PayloadField] | None, *, json_body: bool
) -> dict[str, PayloadField]:
    """Payload keys -> ``attributes.<name>`` / ``body.<path>`` paths of a Pub/Sub message."""
    return as_payload(payload, field_for=lambda where, spec: _message_field(where, spec, json_body))


def _message_field(where: str, spec: str, json_body: bool) -> PayloadField:
    if spec.startswith("attributes."):
        escaped = spec[len("attributes.") :].replace(".", "\\.")
        split_path(escaped, where)
        return PayloadField.path(escaped, root=["attributes"])
    head = split_path(spec, where)[0]
    if head == "body" and json_body:
        return PayloadField.path(spec)
    if head == "body":
        raise BlueprintError(
            where,
            spec,
            "reads the message body, but json_body=False delivers it base64-encoded.",
            "Map attributes only, or use a PayloadField.expression with '@base64d'.",
        )
    raise BlueprintError(
        where,
        spec,
        "must start with 'attributes.' (a message attribute) or 'body' (the JSON body).",
        "E.g. 'attributes.table' or 'body.order.id'.",
    )


def account_id_for(name: str) -> str:
    """A Google service-account id (6-30 characters) derived from a blueprint name."""
    candidate = derive_name("mfb", name, max_length=30)
    return candidate if len(candidate) >= 6 else f"{candidate}-sa"


@prop_group(
    {
        "subscription_id": None,
        **group_defaults(SubscriptionSettings),
        "service_account_id": None,
        "workload_identity_pool": None,
    }
)
class PubSubOptions(SubscriptionSettings, total=False):
    """The Pub/Sub consumer's props (a prop group: flat keyword arguments of the Pub/Sub,
    GCS and Snowflake blueprints), besides the :class:`SubscriptionSettings` members.

    :param subscription_id: id of the created subscription (the dead-letter topic and its
        subscription add ``-dlq``). Default ``mfb-<name>``.
    :param service_account_id: id of the Google service account the EventSource runs as.
        Default ``mfb-<name>``.
    :param workload_identity_pool: the GKE cluster's pool. Default ``<project>.svc.id.goog``.
    """

    subscription_id: str | None
    service_account_id: str | None
    workload_identity_pool: str | None


@prop_group(group_defaults(SourceProps, PubSubOptions))
class PubSubSourceProps(SourceProps, PubSubOptions, total=False):
    """The shared props of the blueprints that consume a Pub/Sub topic (``PubSubToMetaflow``,
    ``GcsToMetaflow``): :class:`~metaflow_blueprints.sources.base.SourceProps` and
    :class:`PubSubOptions` (a prop group: flat keyword arguments)."""


@dataclass(frozen=True)
class PubSubConsumerProps:
    """What the Pub/Sub consumer machinery needs: the project and every :class:`PubSubOptions`
    member (given values over the group's defaults)."""

    project: str
    options: Mapping[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, project: str, options: PubSubOptions) -> PubSubConsumerProps:
        """The props for ``project`` from the :class:`PubSubOptions` members in ``options``
        (a group built on it: other members are left out)."""
        return cls(project, group_values(PubSubOptions, pick(PubSubOptions, options)))

    @property
    def settings(self) -> SubscriptionSettings:
        """The :class:`SubscriptionSettings` members, to forward to ``PubSubSubscription``."""
        return typing.cast(SubscriptionSettings, pick(SubscriptionSettings, self.options))

    def subscription_id_for(self, name: str) -> str:
        # None means unset; an empty string is a value (refused by its check).
        given = self.options["subscription_id"]
        return f"mfb-{name}" if given is None else typing.cast(str, given)

    def account_id_for(self, name: str) -> str:
        given = self.options["service_account_id"]
        return account_id_for(name) if given is None else typing.cast(str, given)

    def create_topic(self, scope: Construct, name: str) -> Any:
        """The blueprint's own topic (construct id ``topic``), named ``name``, encrypted with
        ``kms_key_name`` when given."""
        return provider_module("google", "pubsub_topic").PubsubTopic(
            scope,
            "topic",
            name=name,
            project=self.project,
            kms_key_name=self.options["kms_key_name"],
            labels=dict(LABELS),
        )

    def check(self, name: str, topic: str | None) -> None:
        """Validate every setting (creates nothing), for the blueprint stem ``name``."""
        check_project("project", self.project)
        check_subscription_settings(
            topic=topic or "placeholder-topic",
            project=self.project,
            subscription_id=self.subscription_id_for(name),
            **self.settings,
        )
        check_account_id("service_account_id", self.account_id_for(name))


class PubSubConsumer:
    """Subscription + identity + Pub/Sub EventSource + the bridge Sensor planned as
    ``bridge`` for one blueprint (not a construct; names come from the bridge).

    The EventSource names only ``subscriptionID`` and ``projectID``, never ``topic``: with a
    topic, Argo calls ``subscriptions.get`` to verify it, a permission
    ``roles/pubsub.subscriber`` does not hold; without one it checks
    ``pubsub.subscriptions.consume`` and never creates a subscription of its own.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        metaflow: MetaflowEvents,
        bridge: Bridge,
        topic_id: str,
        props: PubSubConsumerProps,
        json_body: bool,
    ) -> None:
        name, event_name = bridge.event_source_name, bridge.event_name
        self.subscription_id = props.subscription_id_for(name)
        self.subscription = PubSubSubscription(
            scope,
            "subscription",
            topic=topic_id,
            project=props.project,
            subscription_id=self.subscription_id,
            labels=props.labels,
            **props.settings,
        )
        self.identity = PubSubSubscriberIdentity(
            scope,
            "identity",
            project=props.project,
            account_id=props.account_id_for(name),
            subscription=self.subscription.subscription.name,
            namespace=metaflow.namespace,
            kubernetes_service_account=derive_name(name, "pubsub"),
            workload_identity_pool=props.options["workload_identity_pool"],
            labels=MANAGED_BY,
        )
        identity = self.identity
        self.event_source = ArgoEventSource(
            scope,
            "event_source",
            event_source=EventSource(
                name=name,
                namespace=metaflow.namespace,
                events={
                    event_name: PubSubEvent(
                        subscription_id=self.subscription_id,
                        project_id=props.project,
                        json_body=json_body,
                    )
                },
                event_bus_name=metaflow.target.event_bus,
                service_account_name=identity.kubernetes_service_account.name,
                labels=MANAGED_BY,
            ),
            depends_on=[
                self.subscription.subscription,
                identity.subscriber,
                identity.workload_identity_user,
                identity.kubernetes_service_account.service_account,
            ],
        )
        self.sensor = add_bridge_sensor(
            scope, metaflow=metaflow, bridge=bridge, event_source=self.event_source
        )
