"""Wrap a source system's message into the event an Argo Events EventSource publishes.

Covers ``webhook``, ``sqs``, ``pubSub`` and ``sns`` entries (argo-events.md §(a)); other
source types raise :class:`UnsupportedConstruct`. A message the source would not publish
(webhook auth failure, non-JSON body with ``jsonBody``, EventSource filter false...)
yields a :class:`Dropped` with the reason instead of an event.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from . import gojson
from .errors import EvalError, ReplayError, UnsupportedConstruct
from .events import Event, go_time_string
from .exprs import evaluate

SOURCE_TYPES = {"webhook": "webhook", "sqs": "sqs", "pubSub": "pubsub", "sns": "sns"}
MASKED_AUTH = "*** Masked Auth Secret ***"
DEFAULT_MAX_PAYLOAD = 1048576
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


@dataclass(frozen=True)
class Dropped:
    """The source would not publish the message; ``status`` is the HTTP status if any."""

    reason: str
    status: int | None = None


def canonical_header(name: str) -> str:
    """Go ``textproto.CanonicalMIMEHeaderKey``."""
    if not name or any(c not in _TOKEN_CHARS for c in name):
        return name
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def _raw_bytes(event: bytes | str | Mapping[str, Any] | list[Any]) -> bytes:
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode("utf-8")
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _bool_setting(spec: Mapping[str, Any], key: str, where: str) -> bool:
    value = spec.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise UnsupportedConstruct(f"{key}={value!r} is not a literal boolean", where)
    return value


def _event_id(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


def _metadata(spec: Mapping[str, Any]) -> dict[str, Any]:
    meta = spec.get("metadata") or {}
    return {"metadata": dict(sorted(meta.items()))} if meta else {}


def _parse_json_body(raw: bytes) -> Any:
    try:
        return gojson.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvalError(f"body is not valid JSON ({exc})") from exc


def wrap(
    eventsource: Mapping[str, Any],
    type_key: str,
    event_name: str,
    spec: Mapping[str, Any],
    event: bytes | str | Mapping[str, Any] | list[Any],
    *,
    headers: Mapping[str, str],
    attributes: Mapping[str, str],
    now: datetime,
) -> Event | Dropped:
    """Build the published event for ``spec.<type_key>.<event_name>`` of ``eventsource``."""
    es_name = str(eventsource.get("metadata", {}).get("name", ""))
    where = f"EventSource {es_name}/{event_name}"
    raw = _raw_bytes(event)
    if type_key == "webhook":
        built = _webhook(spec, raw, headers, where)
    elif type_key == "sqs":
        built = _sqs(spec, raw, attributes, where, es_name, event_name)
    elif type_key == "pubSub":
        built = _pubsub(spec, raw, attributes, now, where, es_name, event_name)
    elif type_key == "sns":
        built = _sns(spec, raw, headers)
    else:
        raise UnsupportedConstruct(f"event source type {type_key!r}", where)
    if isinstance(built, Dropped):
        return built
    data = {**built, **_metadata(spec)}
    filt = (spec.get("filter") or {}).get("expression")
    if filt:
        env = {k.replace("-", "_"): v for k, v in gojson.as_go_floats(data).items()}
        try:
            ok = evaluate(str(filt), env, flavor="expr")
        except EvalError as exc:
            return Dropped(f"EventSource filter expression error: {exc} (inferred: dropped)")
        if ok is not True:
            return Dropped(f"EventSource filter expression {filt!r} is false")
    data_text = gojson.dumps(data)
    return Event(
        id=_event_id(es_name, event_name, data_text, now.isoformat()),
        source=es_name,
        subject=event_name,
        type=SOURCE_TYPES[type_key],
        time=now,
        data=data,
    )


def _headers(headers: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        out.setdefault(canonical_header(name), []).append(value)
    return out


def _webhook(
    spec: Mapping[str, Any], raw: bytes, headers: Mapping[str, str], where: str
) -> dict[str, Any] | Dropped:
    hdrs = _headers(headers)
    auth = hdrs.get("Authorization", [""])[0]
    if spec.get("authSecret") and not auth.startswith("Bearer "):
        return Dropped("401 Invalid Authorization Header: the EventSource has authSecret and "
                       "the request carries no 'Authorization: Bearer <token>'", 401)
    if auth:
        hdrs["Authorization"] = [MASKED_AUTH]
    method = str(spec.get("method") or "POST").upper()
    max_size = spec.get("maxPayloadSize") or DEFAULT_MAX_PAYLOAD
    if method == "GET":
        query = raw.decode("utf-8").lstrip("?")
        body: Any = dict(sorted(parse_qs(query, keep_blank_values=True).items()))
    elif method == "POST":
        content_type = hdrs.get("Content-Type", [""])[0]
        if content_type == "application/x-www-form-urlencoded":
            body = dict(sorted(parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()))
        else:
            if isinstance(max_size, int) and len(raw) > max_size:
                return Dropped("400 http: request body too large", 400)
            try:
                body = _parse_json_body(raw)
            except EvalError as exc:
                return Dropped(f"400 {exc}: the webhook source cannot build the payload", 400)
    else:
        raise UnsupportedConstruct(f"webhook method {method!r}", where)
    return {"header": dict(sorted(hdrs.items())), "body": body}


def _sqs(
    spec: Mapping[str, Any], raw: bytes, attributes: Mapping[str, str], where: str,
    es_name: str, event_name: str,
) -> dict[str, Any] | Dropped:
    message_id = str(uuid.UUID(_event_id("sqs", es_name, event_name, raw.hex())))
    attrs: Any = None
    if attributes:
        attrs = {
            name: {"BinaryListValues": None, "BinaryValue": None, "DataType": "String",
                   "StringListValues": None, "StringValue": value}
            for name, value in sorted(attributes.items())
        }
    if _bool_setting(spec, "jsonBody", where):
        try:
            body = _parse_json_body(raw)
        except EvalError as exc:
            fate = "kept for the DLQ redrive (dlq: true)" if spec.get("dlq") else "deleted"
            return Dropped(f"{exc}; with jsonBody: true the event is dropped and the SQS message "
                           f"is {fate}")
    else:
        body = base64.b64encode(raw).decode("ascii")
    return {"messageId": message_id, "messageAttributes": attrs, "body": body}


def _pubsub(
    spec: Mapping[str, Any], raw: bytes, attributes: Mapping[str, str], now: datetime,
    where: str, es_name: str, event_name: str,
) -> dict[str, Any] | Dropped:
    try:
        message = json.loads(raw)
    except ValueError as exc:
        raise ReplayError(f"a Pub/Sub event must be a JSON object {{\"data\": ..., "
                          f"\"attributes\": {{...}}}}: {exc}") from exc
    if not isinstance(message, dict) or "data" not in message:
        raise ReplayError('a Pub/Sub event must be a JSON object with "data" '
                          '(JSON, or a base64 string) and optional "attributes"')
    payload = message["data"]
    if isinstance(payload, str):
        try:
            data_bytes = base64.b64decode(payload.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ReplayError(f"Pub/Sub data is a string but not base64: {exc}") from exc
    else:
        data_bytes = _raw_bytes(payload)
    attrs = {**(message.get("attributes") or {}), **attributes}
    publish = message.get("publishTime")
    when = datetime.fromisoformat(str(publish).replace("Z", "+00:00")) if publish else now
    msg_id = str(message.get("messageId") or int(_event_id("pubsub", es_name, event_name,
                                                             data_bytes.hex())[:15], 16))
    if _bool_setting(spec, "jsonBody", where):
        try:
            body = _parse_json_body(data_bytes)
        except EvalError as exc:
            return Dropped(f"{exc}; with jsonBody: true the message is Nack'ed and redelivered "
                           "(inferred)")
    else:
        body = base64.b64encode(data_bytes).decode("ascii")
    return {"id": msg_id, "body": body, "attributes": dict(sorted(attrs.items())),
            "publishTime": go_time_string(when)}


def _sns(
    spec: Mapping[str, Any], raw: bytes, headers: Mapping[str, str]
) -> dict[str, Any] | Dropped:
    try:
        body = _parse_json_body(raw)
    except EvalError as exc:
        return Dropped(f"SNS request body is not JSON: {exc}", 400)
    kind = body.get("Type") if isinstance(body, dict) else None
    if kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return Dropped(f"SNS {kind} messages are handled by the source, not published")
    default = {"Content-Type": "text/plain; charset=UTF-8"}
    if isinstance(body, dict):
        default.update({"X-Amz-Sns-Message-Type": str(body.get("Type", "Notification")),
                        "X-Amz-Sns-Message-Id": str(body.get("MessageId", "")),
                        "X-Amz-Sns-Topic-Arn": str(body.get("TopicArn", ""))})
    merged = {**default, **{canonical_header(k): v for k, v in headers.items()}}
    return {"header": dict(sorted(_headers(merged).items())), "body": body}
