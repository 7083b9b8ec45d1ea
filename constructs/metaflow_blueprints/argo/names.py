"""Name rules for Argo Events objects (argo-events.md §(g)) and deterministic derivation.

* Object names (EventSource, Sensor): DNS-1035 label of at most 47 characters, because the
  EventSource becomes the Service ``<name>-eventsource-svc`` (63 characters at most) and
  JetStream uses the names as subject tokens and KV bucket names.
* Event, dependency and trigger names: ``[a-z0-9-]``, starting and ending alphanumeric
  (JetStream subject tokens and KV keys; ``-`` and ``_`` collide in trigger conditions).
"""

from __future__ import annotations

import base64
import hashlib
import re

from metaflow_blueprints import rules
from metaflow_blueprints.rules import OBJECT_NAME_MAX

EVENT_NAME_MAX = 63
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def check_object_name(field: str, value: str) -> str:
    """Raise unless ``value`` is a safe EventSource/Sensor name; return it."""
    return rules.OBJECT_NAME.check(field, value)


def check_event_name(field: str, value: str) -> str:
    """Raise unless ``value`` is a safe event, dependency or trigger name; return it."""
    return rules.EVENT_NAME.check(field, value)


def short_hash(text: str, length: int = 6) -> str:
    """A stable lower-case base32 digest of ``text``."""
    digest = hashlib.sha256(text.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:length]


def slug(text: str) -> str:
    """Lower-case ``text`` and squeeze every run of other characters into one '-'."""
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def derive_name(*parts: str, max_length: int = OBJECT_NAME_MAX, separator: str = "-") -> str:
    """Join ``parts`` into a valid name; shorten with a hash of the full text when too long.

    Deterministic: the same parts always give the same name, and two different long inputs
    differ in their hash suffix.
    """
    full = separator.join(p for p in (slug(part) for part in parts) if p)
    if not full or not full[0].isalpha():
        full = f"x-{full}" if full else "x"
    if len(full) <= max_length:
        return full.strip("-")
    suffix = short_hash(full)
    head = full[: max_length - len(suffix) - 1].rstrip("-")
    return f"{head}-{suffix}"
