"""Snowflake identifiers: what the blueprint accepts, and how it quotes them in SQL.

Accepted names follow Snowflake's rules for *unquoted* identifiers (a letter or ``_``,
then letters, digits, ``_`` or ``$``; at most 255 characters:
https://docs.snowflake.com/en/sql-reference/identifiers-syntax). Generated SQL still
double-quotes every name, exactly as the Terraform provider does, so a name means the same
object in the provider's resources and in the procedure body: ``ORDERS`` (what an unquoted
``CREATE TABLE orders`` stores) is not ``orders``. Quotes, semicolons, whitespace and
newlines are refused, so no prop can change the structure of the generated SQL.

A Terraform token (e.g. a module variable) is not checked at synth time (design rule 7);
the blueprint puts :func:`token_precondition` on every resource whose SQL embeds it, so
Terraform refuses, at plan time, a value that is not an identifier of that syntax.
"""

from __future__ import annotations

from metaflow_blueprints import rules
from metaflow_blueprints.errors import is_token
from metaflow_blueprints.runtime import Fn


def check_identifier(field: str, value: object) -> str:
    """Raise unless ``value`` is a usable Snowflake identifier (see module docs); return it.

    Terraform tokens pass unchecked (they are quoted at apply time).
    """
    rules.SNOWFLAKE_IDENTIFIER.check(field, value)
    assert isinstance(value, str)  # the rule passes strings only (string tokens included)
    return value


def _replace(text: str, old: str, new: str) -> str:
    """``text.replace(old, new)``; a token is left as is (checked by a precondition)."""
    return text if is_token(text) else text.replace(old, new)


def token_precondition(field: str, value: str) -> dict[str, object]:
    """A Terraform ``lifecycle.precondition`` that ``value`` (a token) is an identifier."""
    rule = rules.SNOWFLAKE_IDENTIFIER
    return {
        "condition": Fn.can(Fn.regex(str(rule.pattern), value)),
        "error_message": f"{field} {rule.message} (It is compiled into the generated SQL.)",
    }


def escape_identifier(name: str) -> str:
    """The body of a double-quoted identifier: ``"`` doubled."""
    return _replace(name, '"', '""')


def escape_string(text: str) -> str:
    """The body of a single-quoted string constant: ``\\`` and ``'`` doubled.

    Snowflake interprets backslash escapes inside ``'...'``
    (https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants).
    """
    return _replace(_replace(text, "\\", "\\\\"), "'", "''")


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted identifier."""
    return '"' + escape_identifier(name) + '"'


def qualified(*names: str) -> str:
    """``"DB"."SCHEMA"."OBJECT"`` from its parts."""
    return ".".join(quote_identifier(n) for n in names)


def quote_string(text: str) -> str:
    """``text`` as a single-quoted Snowflake string constant."""
    return "'" + escape_string(text) + "'"


def quote_qualified_string(*names: str) -> str:
    """``'"DB"."SCHEMA"."OBJECT"'``: a qualified name as a string constant (each part escaped
    for the identifier, then for the string, so tokens stay separate Terraform calls)."""
    parts = ('"' + escape_string(escape_identifier(n)) + '"' for n in names)
    return "'" + ".".join(parts) + "'"
