"""The SQL of the change notifier: a Snowflake Scripting procedure and its triggered task.

How a change becomes one notification (sources cited in ``docs/snowflake.md``):

1. A standard stream on the table records inserts, updates and deletes since its offset.
   An update shows as a DELETE/INSERT pair with ``METADATA$ISUPDATE = TRUE``
   (https://docs.snowflake.com/en/user-guide/streams-intro).
2. A triggered task (``WHEN SYSTEM$STREAM_HAS_DATA(...)``, no schedule:
   https://docs.snowflake.com/en/user-guide/tasks-triggered) calls the procedure.
3. The procedure consumes the stream with one ``INSERT ... SELECT`` inside an explicit
   transaction, so the offset advances when it commits. The row it writes to the batch
   table holds the counts, the change window, a ``batch_id`` (``UUID_STRING()``) and the
   exact JSON message. Nothing is written when the counts are all zero.
4. After the commit it sends every batch not yet marked as notified with
   ``SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(...),
   SNOWFLAKE.NOTIFICATION.INTEGRATION(...))``
   (https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_snowflake_notification)
   and marks it. A failed send leaves the batch pending: the next run re-sends the stored
   message, with the same ``batch_id``.

Every name comes from :func:`check_identifier`-validated props and is emitted quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from metaflow_blueprints.snowflake.identifiers import (
    check_identifier,
    qualified,
    quote_identifier,
    quote_qualified_string,
    quote_string,
)

#: The version of the message format below (``"version"`` in every message).
MESSAGE_VERSION = 1


@dataclass(frozen=True)
class ChangeNotifierSql:
    """Names of the Snowflake objects of one notifier (all validated on construction)."""

    database: str
    schema: str
    table: str
    stream: str
    batches: str
    procedure: str
    integration: str
    range_column: str | None = None

    def __post_init__(self) -> None:
        for field in ("database", "schema", "table", "stream", "batches", "procedure",
                      "integration"):
            check_identifier(field, getattr(self, field))
        if self.range_column is not None:
            check_identifier("range_column", self.range_column)

    # --- names ------------------------------------------------------------------------

    @property
    def qualified_table(self) -> str:
        return qualified(self.database, self.schema, self.table)

    @property
    def stream_name(self) -> str:
        return qualified(self.database, self.schema, self.stream)

    @property
    def batches_name(self) -> str:
        return qualified(self.database, self.schema, self.batches)

    @property
    def procedure_name(self) -> str:
        return qualified(self.database, self.schema, self.procedure)

    # --- the task ---------------------------------------------------------------------

    def task_when(self) -> str:
        """The triggered task's condition."""
        name = quote_qualified_string(self.database, self.schema, self.stream)
        return f"SYSTEM$STREAM_HAS_DATA({name})"

    def task_statement(self) -> str:
        """The triggered task's body: call the procedure."""
        return f"CALL {self.procedure_name}()"

    # --- the procedure ----------------------------------------------------------------

    def message_sql(self) -> str:
        """The SQL expression building the JSON message from the ``changes`` CTE row."""
        summary = [
            "'inserted', c.inserted",
            "'updated', c.updated",
            "'deleted', c.deleted",
            "'changes', c.inserted + c.updated + c.deleted",
        ]
        if self.range_column is not None:
            summary += [
                f"'column', {quote_string(self.range_column)}",
                "'min', c.range_min",
                "'max', c.range_max",
            ]
        inner = ",\n          ".join(summary)
        return (
            "TO_JSON(OBJECT_CONSTRUCT_KEEP_NULL(\n"
            "        'source', 'snowflake',\n"
            f"        'version', {MESSAGE_VERSION},\n"
            "        'batch_id', :batch_id,\n"
            f"        'database', {quote_string(self.database)},\n"
            f"        'schema', {quote_string(self.schema)},\n"
            f"        'table', {quote_string(self.table)},\n"
            "        'window_start', DATE_PART(EPOCH_SECOND, p.window_start),\n"
            "        'window_end', DATE_PART(EPOCH_SECOND, :window_end),\n"
            "        'summary', OBJECT_CONSTRUCT_KEEP_NULL(\n"
            f"          {inner}\n"
            "        )))"
        )

    def procedure_body(self) -> str:
        """The Snowflake Scripting body (between ``$$``) of the procedure."""
        q = quote_identifier
        if self.range_column is not None:
            column = q(self.range_column)
            ranges = (
                f",\n          TO_VARIANT(MIN(IFF(METADATA$ACTION = 'INSERT', {column}, NULL)))"
                " AS range_min"
                f",\n          TO_VARIANT(MAX(IFF(METADATA$ACTION = 'INSERT', {column}, NULL)))"
                " AS range_max"
            )
        else:
            ranges = ""
        # No names in comments: a token's value could end the comment with a newline.
        return f"""-- Generated by metaflow-blueprints (SnowflakeToMetaflow).
DECLARE
  batch_id VARCHAR DEFAULT UUID_STRING();
  window_end TIMESTAMP_LTZ DEFAULT CURRENT_TIMESTAMP();
  consumed INTEGER DEFAULT 0;
  sent INTEGER DEFAULT 0;
  pending_id VARCHAR;
  message VARCHAR;
BEGIN
  CREATE TABLE IF NOT EXISTS {self.batches_name} (
    {q("BATCH_ID")} VARCHAR NOT NULL,
    {q("WINDOW_START")} TIMESTAMP_LTZ,
    {q("WINDOW_END")} TIMESTAMP_LTZ NOT NULL,
    {q("INSERTED")} NUMBER NOT NULL,
    {q("UPDATED")} NUMBER NOT NULL,
    {q("DELETED")} NUMBER NOT NULL,
    {q("MESSAGE")} VARCHAR NOT NULL,
    {q("NOTIFIED_AT")} TIMESTAMP_LTZ
  );
  BEGIN TRANSACTION;
  INSERT INTO {self.batches_name}
    ({q("BATCH_ID")}, {q("WINDOW_START")}, {q("WINDOW_END")}, {q("INSERTED")}, \
{q("UPDATED")}, {q("DELETED")}, {q("MESSAGE")})
    WITH changes AS (
        SELECT
          COUNT_IF(METADATA$ACTION = 'INSERT' AND NOT METADATA$ISUPDATE) AS inserted,
          COUNT_IF(METADATA$ACTION = 'INSERT' AND METADATA$ISUPDATE) AS updated,
          COUNT_IF(METADATA$ACTION = 'DELETE' AND NOT METADATA$ISUPDATE) AS deleted{ranges}
        FROM {self.stream_name}
      ),
      previous AS (
        SELECT MAX({q("WINDOW_END")}) AS window_start FROM {self.batches_name}
      )
    SELECT
      :batch_id, p.window_start, :window_end, c.inserted, c.updated, c.deleted,
      {self.message_sql()}
    FROM changes c CROSS JOIN previous p
    WHERE c.inserted + c.updated + c.deleted > 0;
  consumed := SQLROWCOUNT;
  COMMIT;
  LET pending CURSOR FOR
    SELECT {q("BATCH_ID")} AS id, {q("MESSAGE")} AS body FROM {self.batches_name}
    WHERE {q("NOTIFIED_AT")} IS NULL
    ORDER BY {q("WINDOW_END")}, {q("BATCH_ID")};
  FOR record IN pending DO
    pending_id := record.id;
    message := record.body;
    CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(
      SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(:message),
      SNOWFLAKE.NOTIFICATION.INTEGRATION({quote_string(self.integration)}));
    UPDATE {self.batches_name} SET {q("NOTIFIED_AT")} = CURRENT_TIMESTAMP()
      WHERE {q("BATCH_ID")} = :pending_id;
    sent := sent + 1;
  END FOR;
  RETURN 'consumed ' || consumed || ' batch(es), sent ' || sent || ' notification(s)';
END;
"""


def notifier_sql(**names: str | None) -> ChangeNotifierSql:
    """Build (and validate) a :class:`ChangeNotifierSql`."""
    return ChangeNotifierSql(**names)  # type: ignore[arg-type]
