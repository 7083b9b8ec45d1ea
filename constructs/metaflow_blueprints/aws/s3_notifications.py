"""The one ``aws_s3_bucket_notification`` per bucket, shared by every blueprint in a stack.

S3 keeps a single notification configuration per bucket, and Terraform's resource owns
all of it: two resources for one bucket silently overwrite each other
(hashicorp/terraform-provider-aws#23951). S3 also rejects two rules whose prefixes and
suffixes overlap for the same event type ("Configuration is ambiguously defined",
hashicorp/terraform-provider-aws#1582). :class:`BucketNotifications` is a per-stack
registry keyed by bucket name: blueprints :meth:`check` a rule before creating anything,
then :meth:`add_queue_rule` it; EventBridge delivery sets ``eventbridge = true`` on the
same resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from metaflow_blueprints.argo.names import short_hash, slug
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import (
    Construct,
    LibraryConstruct,
    add_depends_on,
    is_unresolved,
    provider_module,
)


@dataclass(frozen=True)
class QueueRule:
    """One S3 → SQS rule: ``owner`` is the construct path of the blueprint that asked."""

    owner: str
    queue_arn: str
    events: tuple[str, ...]
    prefix: str | None = None
    suffix: str | None = None


def _events_overlap(a: str, b: str) -> bool:
    """``s3:ObjectCreated:*`` covers ``s3:ObjectCreated:Put``; equal types overlap."""
    if a == b:
        return True
    a_group, _, a_kind = a.rpartition(":")
    b_group, _, b_kind = b.rpartition(":")
    return a_group == b_group and "*" in (a_kind, b_kind)


def _affix_overlap(a: str | None, b: str | None, *, prefix: bool) -> bool:
    """Two prefixes overlap when one starts the other (a missing one matches all keys)."""
    x, y = a or "", b or ""
    if prefix:
        return x.startswith(y) or y.startswith(x)
    return x.endswith(y) or y.endswith(x)


def rules_overlap(a: QueueRule, b: QueueRule) -> list[tuple[str, str]]:
    """The event-type pairs for which S3 would reject ``a`` and ``b`` together."""
    unknown = any(is_unresolved(v) for v in (a.prefix, b.prefix, a.suffix, b.suffix) if v)
    if unknown:
        return []
    if not _affix_overlap(a.prefix, b.prefix, prefix=True):
        return []
    if not _affix_overlap(a.suffix, b.suffix, prefix=False):
        return []
    return [(x, y) for x in a.events for y in b.events if _events_overlap(x, y)]


class BucketNotifications(LibraryConstruct):
    """The notification configuration of one bucket. Get it with :meth:`for_bucket`.

    Attributes: ``bucket``, ``notification`` (the ``aws_s3_bucket_notification``),
    ``rules`` (``QueueRule`` list), ``eventbridge`` (bool).
    """

    def __init__(self, scope: Construct, id: str, *, bucket: str) -> None:
        super().__init__(scope, id)
        self.bucket = bucket
        self.rules: list[QueueRule] = []
        self.eventbridge = False
        notification = provider_module("aws", "s3_bucket_notification")
        self.notification = notification.S3BucketNotification(self, "notification", bucket=bucket)

    @staticmethod
    def for_bucket(scope: Construct, bucket: str) -> BucketNotifications:
        """The registry entry of ``bucket`` in ``scope``'s stack (created on first use).

        Buckets are matched by name; for a Terraform token, by the same token.
        """
        return BucketNotifications.of_stack(scope, _child_id(bucket), bucket=bucket)

    @staticmethod
    def check_rule(scope: Construct, bucket: str, rule: QueueRule) -> None:
        """Raise if ``rule`` cannot share ``bucket`` with the rules already registered.

        Creates nothing, so a blueprint can validate before building resources.
        """
        existing = BucketNotifications.find_in_stack(scope, _child_id(bucket))
        if existing is None:
            return
        for other in existing.rules:
            pairs = rules_overlap(other, rule)
            if pairs:
                raise BlueprintError(
                    "prefix/suffix",
                    {"prefix": rule.prefix, "suffix": rule.suffix},
                    f"overlaps on bucket {bucket!r} with blueprint {other.owner!r} "
                    f"(prefix={other.prefix!r}, suffix={other.suffix!r}) for event types "
                    f"{', '.join(sorted({f'{x}/{y}' for x, y in pairs}))} in blueprint "
                    f"{rule.owner!r}; S3 rejects such a configuration as ambiguous.",
                    "Use non-overlapping prefixes or suffixes, or delivery='eventbridge' "
                    "(EventBridge rules may overlap freely).",
                )

    def add_queue_rule(self, rule: QueueRule, *, depends_on: Sequence[Any]) -> None:
        """Add ``rule`` (checked again) and make the notification wait for ``depends_on``."""
        for other in self.rules:
            if rules_overlap(other, rule):
                BucketNotifications.check_rule(self, self.bucket, rule)
        self.rules.append(rule)
        module = provider_module("aws", "s3_bucket_notification")
        queues = [
            module.S3BucketNotificationQueue(
                id=f"mfb-{slug(item.owner)}"[:255],
                queue_arn=item.queue_arn,
                events=list(item.events),
                filter_prefix=item.prefix or None,
                filter_suffix=item.suffix or None,
            )
            for item in self.rules
        ]
        self.notification.put_queue(queues)
        add_depends_on(self.notification, *depends_on)

    def enable_eventbridge(self, *, depends_on: Sequence[Any] = ()) -> None:
        """Send every event of the bucket to EventBridge too."""
        self.eventbridge = True
        self.notification.eventbridge = True
        add_depends_on(self.notification, *depends_on)


def _child_id(bucket: str) -> str:
    """The id of ``bucket``'s registry entry in its stack (a token by its hash)."""
    key = f"x{short_hash(bucket, 10)}" if is_unresolved(bucket) else slug(bucket)
    return f"s3_notification_{key}"
