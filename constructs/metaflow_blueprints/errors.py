"""The one exception type the library raises for bad input."""

from __future__ import annotations

import re
import struct


class BlueprintError(ValueError):
    """Bad input caught at synth time: names the field, shows the value, says how to fix it."""

    def __init__(self, field: str, value: object, problem: str, fix: str = "") -> None:
        self.field = field
        self.value = value
        message = f"{field}={value!r}: {problem}"
        if fix:
            message += f" {fix}"
        super().__init__(message)


#: How cdktf and cdktn (the same code: ``lib/tokens/private/encoding.ts``) encode a token in
#: a native value: ``${TfToken[<key>]}`` in a string (anywhere in it, e.g. after a
#: concatenation), ``#{TfToken[<key>]}`` as the one element of a string list, ``&{TfToken[<key>]}``
#: as a key of a map, and a double whose top 16 bits are a tag (0xfdff a number, 0xfbff the one
#: element of a number list).
_KEY = r"\{TfToken\[[a-zA-Z0-9:._-]+\]\}"
_STRING_TOKEN = re.compile(r"\$" + _KEY)
_LIST_TOKEN = re.compile("#" + _KEY)
_MAP_TOKEN = re.compile("&" + _KEY)
_NUMBER_TAG, _NUMBER_LIST_TAG = 0xFDFF, 0xFBFF


def _tag(value: int | float) -> int | None:
    """The top 16 bits of ``value`` as an IEEE double (None: no double holds it)."""
    try:
        return int(struct.unpack("<Q", struct.pack("<d", value))[0]) >> 48
    except OverflowError:
        return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_token(value: object) -> bool:
    """True when ``value`` is a Terraform token of the framework (known only at plan time):
    what ``Token.is_unresolved`` answers for a string, number, list or map, without asking it.

    Checks skip such values (design rule 7). Text that merely looks like Terraform
    (``"${var.x}"``, ``"a${b"``) is no token: it is checked like any other value. This is
    pure Python (no jsii round trip, no cdktf import), so every layer can use it on every check;
    ``tests/test_errors.py`` proves it agrees with ``Token.is_unresolved`` on both frameworks.
    """
    if isinstance(value, str):
        return _STRING_TOKEN.search(value) is not None
    if _is_number(value):
        return _tag(value) == _NUMBER_TAG  # type: ignore[arg-type]
    if isinstance(value, list) and len(value) == 1:
        item = value[0]
        if isinstance(item, str):
            return _LIST_TOKEN.search(item) is not None
        return _is_number(item) and _tag(item) == _NUMBER_LIST_TAG
    if isinstance(value, dict):  # jsii drops a None entry before the framework sees it
        return any(
            isinstance(key, str) and item is not None and _MAP_TOKEN.search(key) is not None
            for key, item in value.items()
        )
    return False
