"""jq building blocks used by the bridge transform.

Only builtins that behave the same in jq 1.7 (replay) and gojq (the Argo sensor) are used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

#: ``"a%20b+c%C3%A9" | mfb_urldecode`` -> ``"a b cé"``: form decoding as S3 applies it to
#: object keys in event notifications ('+' is a space, %XX are UTF-8 bytes).
URLDECODE = r"""def mfb_urldecode:
  gsub("[+]"; " ")
  | [scan("%[0-9A-Fa-f]{2}|[^%]+|%")]
  | map(if test("^%[0-9A-Fa-f]{2}$")
        then [ .[1:] | ascii_downcase | explode[]
               | if . >= 97 then . - 87 else . - 48 end ]
             | [.[0] * 16 + .[1]]
        else explode end)
  | add // []
  | reduce .[] as $b ({out: [], cp: 0, need: 0};
      if .need > 0 and $b >= 128 and $b < 192
      then .cp = .cp * 64 + ($b % 64) | .need -= 1
           | if .need == 0 then .out += [.cp] else . end
      elif $b >= 240 and $b < 248 then .cp = $b % 8 | .need = 3
      elif $b >= 224 and $b < 240 then .cp = $b % 16 | .need = 2
      elif $b >= 192 and $b < 224 then .cp = $b % 32 | .need = 1
      else .out += [$b] | .need = 0 end)
  | .out | implode;"""

#: ``"2026-01-01T10:20:30.123Z" | mfb_epoch`` -> ``1767262830`` (fractions dropped).
EPOCH = r"""def mfb_epoch:
  sub("[.][0-9]+"; "") | sub("[+]00:00$"; "Z") | fromdateiso8601;"""

#: ``.body | mfb_json_message``: the JSON object a queue message carries, whether it arrives
#: bare, as a JSON string, inside an SNS envelope (``Type: Notification``, ``Message`` a JSON
#: string) or wrapped as ``{"application/json": "<json>"}``; null for anything else.
JSON_MESSAGE = r"""def mfb_json_message:
  def mfb_parse: if type == "string" then (try fromjson catch null) else . end;
  mfb_parse
  | if type == "object" and .Type == "Notification" and (.Message | type) == "string"
    then (.Message | mfb_parse) else . end
  | if type == "object" and keys == ["application/json"]
    then (.["application/json"] | mfb_parse) else . end
  | if type == "object" then . else null end;"""

_DEFINITIONS = {"mfb_urldecode": URLDECODE, "mfb_epoch": EPOCH, "mfb_json_message": JSON_MESSAGE}

#: Optional keys whose source is absent are left out, so the flow's Parameter default applies
#: (Metaflow maps a present JSON null as the string "null").
DROP_NULLS = "with_entries(select(.value != null))"

#: The current time in whole seconds (replay pins ``now`` for reproducible output).
NOW = "(now | floor)"


def envelope_program(
    *,
    event: str,
    fields: Mapping[str, str],
    id_jq: str | None,
    timestamp_jq: str = NOW,
    target: str = "metaflow",
) -> str:
    """A jq program that keeps the event data and adds ``.<target>`` = the Metaflow payload.

    Keys whose value is null are dropped from the payload (never posted as JSON null).

    ``fields`` maps payload keys to jq expressions over the event data. ``id_jq`` may be
    None when the trigger fills ``id`` from the event context instead.
    """
    used = "\n".join(
        text for name, text in _DEFINITIONS.items() if _uses(name, fields, id_jq, timestamp_jq)
    )
    entries = [
        f"name: {json.dumps(event)}",
        *([f"id: ($e | {id_jq} | tostring)"] if id_jq else []),
        "timestamp: $ts",
        'utc_date: ($ts | strftime("%Y%m%d"))',
        *(f"{json.dumps(key)}: ($e | {expr})" for key, expr in fields.items()),
    ]
    body = ",\n    ".join(entries)
    program = (
        f". as $e\n| ($e | {timestamp_jq}) as $ts\n"
        f"| . + {{{json.dumps(target)}: ({{\n    {body}\n  }} | {DROP_NULLS})}}"
    )
    full = f"{used}\n{program}" if used else program
    # One line: cdktf 0.21 renders newlines inside map attributes as broken HCL.
    return " ".join(line.strip() for line in full.splitlines())


def _uses(name: str, fields: Mapping[str, str], *exprs: str | None) -> bool:
    return any(name in text for text in (*fields.values(), *(e for e in exprs if e)))
