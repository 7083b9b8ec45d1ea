"""Snowflake side of ``SnowflakeToMetaflow``: identifiers, generated SQL, the change notifier."""

from metaflow_blueprints.snowflake.identifiers import (
    check_identifier,
    qualified,
    quote_identifier,
    quote_string,
)
from metaflow_blueprints.snowflake.sql import ChangeNotifierSql, notifier_sql

__all__ = [
    "ChangeNotifierSql",
    "check_identifier",
    "notifier_sql",
    "qualified",
    "quote_identifier",
    "quote_string",
]
