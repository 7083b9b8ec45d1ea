"""Snowflake identifiers: what the blueprint accepts, and how it quotes them in SQL.

Accepted names follow Snowflake's rules for *unquoted* identifiers (a letter or ``_``,
then letters, digits, ``_`` or ``$``; at most 255 characters:
https://docs.snowflake.com/en/sql-reference/identifiers-syntax). Generated SQL still
double-quotes every name, exactly as the Terraform provider does, so a name means the same
object in the provider's resources and in the procedure body: ``ORDERS`` (what an unquoted
``CREATE TABLE orders`` stores) is not ``orders``. Quotes, semicolons, whitespace and
newlines are refused, so no prop can change the structure of the generated SQL.
"""

from __future__ import annotations

import re

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import is_unresolved

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")


def check_identifier(field: str, value: object) -> str:
    """Raise unless ``value`` is a usable Snowflake identifier (see module docs); return it.

    Terraform tokens are refused too: the names are compiled into the procedure's SQL.
    """
    if isinstance(value, str) and is_unresolved(value):
        raise BlueprintError(
            field,
            value,
            "must be a literal name: it is compiled into the generated SQL.",
        )
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise BlueprintError(
            field,
            value,
            "is not a supported Snowflake identifier.",
            "Use 1-255 letters, digits, '_' or '$', starting with a letter or '_', exactly as "
            "Snowflake stores the name (unquoted names are stored upper-case: ORDERS). "
            "Quotes, semicolons, spaces and newlines are not allowed.",
        )
    return value


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted identifier (embedded ``"`` doubled)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(*names: str) -> str:
    """``"DB"."SCHEMA"."OBJECT"`` from its parts."""
    return ".".join(quote_identifier(n) for n in names)


def quote_string(text: str) -> str:
    """``text`` as a single-quoted Snowflake string literal.

    Snowflake interprets backslash escapes inside ``'...'``, so backslashes are doubled as
    well as quotes (https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants).
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
