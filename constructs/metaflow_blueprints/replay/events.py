"""The event as a Sensor sees it: CloudEvent context + data (argo-events.md §(a))."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from . import gojson


@dataclass(frozen=True)
class Event:
    """``v1alpha1.Event``: context attributes and ``data`` (parsed JSON, literal-keeping)."""

    id: str
    source: str
    subject: str
    type: str
    time: datetime
    data: Any
    specversion: str = "1.0"
    datacontenttype: str = "application/json"

    def data_bytes(self) -> str:
        """``event.Data``: the JSON text the EventSource (or a transform) produced."""
        return gojson.dumps(self.data)

    def context(self) -> dict[str, Any]:
        """``json.Marshal(event.Context)``: field order and metav1.Time (RFC 3339, seconds)."""
        return {
            "id": self.id,
            "source": self.source,
            "specversion": self.specversion,
            "type": self.type,
            "datacontenttype": self.datacontenttype,
            "subject": self.subject,
            "time": rfc3339_seconds(self.time),
        }

    def whole_event_json(self) -> str:
        """``json.Marshal(&event)``: ``data`` is a byte slice, hence base64."""
        data_b64 = base64.b64encode(self.data_bytes().encode("utf-8")).decode("ascii")
        return (
            '{"context":' + gojson.dumps(self.context()) + ',"data":' + gojson.quote(data_b64) + "}"
        )

    def with_data(self, data: Any) -> Event:
        return replace(self, data=data)


def rfc3339_seconds(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_time_string(when: datetime) -> str:
    """Go ``time.Time.String()`` in UTC: ``2025-01-15 10:20:30.123 +0000 UTC``."""
    utc = when.astimezone(timezone.utc)
    frac = f"{utc.microsecond:06d}".rstrip("0")
    return utc.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "") + " +0000 UTC"
