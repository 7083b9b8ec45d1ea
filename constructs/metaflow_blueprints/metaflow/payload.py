"""Payload fields: how a value of the Metaflow event payload is computed from source data.

Each field is a jq expression evaluated on the event *data* (argo-events.md §(a)) by the
bridge's jq transform. jq (gojq in the sensor, real jq in replay) is the one language the
bridge uses, because only a transform can produce typed values (an integer ``timestamp``)
and decode S3's URL-encoded keys; trigger templates always yield strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from metaflow_blueprints.errors import BlueprintError

_SEGMENT = re.compile(r"^[A-Za-z0-9_\-:$ ]+$")
_MISSING = object()


def split_path(path: str, field: str = "path") -> list[str | int]:
    """Split a plain dotted gjson path (``Records.0.s3.object.key``) into jq path parts.

    Numeric segments are array indexes; ``\\.`` escapes a dot inside a key. Wildcards,
    queries and modifiers are refused: they have no single-value jq equivalent.
    """
    if not isinstance(path, str) or not path:
        raise BlueprintError(field, path, "must be a non-empty dotted path.")
    parts: list[str | int] = []
    for raw in re.split(r"(?<!\\)\.", path):
        segment = raw.replace("\\.", ".")
        if not segment or not _SEGMENT.fullmatch(segment.replace(".", "")):
            raise BlueprintError(
                field,
                path,
                f"segment {segment!r} is not supported in payload paths.",
                "Use plain dotted paths such as 'Records.0.s3.object.key' (keys of letters, "
                "digits, '_', '-', ':', '$' or spaces; numbers index arrays; '\\.' escapes a "
                "dot). Wildcards, '#' queries and '@' modifiers are not allowed.",
            )
        parts.append(int(segment) if segment.isdigit() else segment)
    return parts


def gjson_path(parts: Sequence[str | int]) -> str:
    """The gjson path (as Argo filters use it) for jq path ``parts``."""
    return ".".join(str(p).replace(".", "\\.") for p in parts)


def jq_getpath(parts: Sequence[str | int]) -> str:
    """A jq expression reading ``parts``; null when any step is missing or mistyped."""
    return f"(try getpath({json.dumps(list(parts))}) catch null)"


@dataclass(frozen=True)
class PayloadField:
    """One payload value: a jq expression over the event data (build it with
    :meth:`path`, :meth:`constant` or :meth:`expression`).

    :param jq: the jq expression, evaluated on the event data by the bridge.
    :param requires: gjson paths that must exist for the event to start a flow (they
        become sensor filters). Default: none, the field is optional: a missing source
        yields null, which the bridge leaves out of the payload (or ``default`` of
        :meth:`path`).
    """

    jq: str
    requires: tuple[str, ...] = ()

    @staticmethod
    def path(path: str, *, root: Sequence[str | int] = (), default: Any = _MISSING) -> PayloadField:
        """The value at dotted ``path`` below ``root``; required unless ``default`` is given.

        :param path: dotted path, e.g. ``"order.id"`` (``\\.`` escapes a dot in a key).
        :param root: path elements in front of ``path``, e.g. ``["body"]``. Default: none.
        :param default: value when the path is missing (the event still starts the flows);
            ``None`` leaves the key out. Default: none, the path is required.
        """
        parts = [*root, *split_path(path)]
        getter = jq_getpath(parts)
        if default is _MISSING:
            return PayloadField(getter, (gjson_path(parts),))
        fallback = _json_literal("PayloadField.path default", default)
        return PayloadField(f"({getter} as $v | if $v == null then {fallback} else $v end)")

    @staticmethod
    def constant(value: Any) -> PayloadField:
        """A fixed JSON value.

        :param value: a JSON value (strings, numbers, booleans, null, lists, objects).
        """
        return PayloadField(f"({_json_literal('PayloadField.constant', value)})")

    @staticmethod
    def expression(jq: str, *, requires: Sequence[str] = ()) -> PayloadField:
        """A raw jq expression over the event data (advanced).

        :param jq: the expression.
        :param requires: gjson paths that must exist for the event to start a flow.
            Default: none.
        """
        if not jq.strip():
            raise BlueprintError("PayloadField.jq", jq, "must not be empty.")
        return PayloadField(f"({jq})", tuple(requires))


def _json_literal(field: str, value: Any) -> str:
    """``value`` as a JSON (and jq) literal; NaN, Infinity and non-JSON values are refused."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BlueprintError(
            field, value, f"is not a JSON value ({exc}).", "Use finite numbers, strings, "
            "booleans, null, lists and string-keyed objects of them."
        ) from None
