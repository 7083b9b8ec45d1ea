"""Starts when the reference ``snowflake`` stack's bridge posts ``snowflake.orders.changed``.

Deploy with ``python snowflake_orders_flow.py argo-workflows create``. One run per batch of
committed changes to ``ANALYTICS.SALES.ORDERS``. Payload keys sent by the bridge (besides
the envelope): ``database``, ``schema``, ``table``, ``batch_id`` (also the event ``id``:
dedupe on it, delivery is at least once), ``inserted``, ``updated``, ``deleted``,
``changes``, ``window_start``, ``window_end``, ``range_column``, ``range_min``,
``range_max``. Read the changed rows with a query on the batch's window, e.g. ``UPDATED_AT
BETWEEN range_min AND range_max``.
"""

from metaflow import FlowSpec, Parameter, current, step, trigger


@trigger(
    event={
        "name": "snowflake.orders.changed",
        "parameters": {
            "database": "database",
            "schema": "schema",
            "table": "table",
            "batch_id": "batch_id",
            "inserted": "inserted",
            "updated": "updated",
            "deleted": "deleted",
            "changes": "changes",
            "window_start": "window_start",
            "window_end": "window_end",
            "range_column": "range_column",
            "range_min": "range_min",
            "range_max": "range_max",
        },
    }
)
class SnowflakeOrdersFlow(FlowSpec):
    """Refresh features from one batch of changed orders."""

    database = Parameter("database", default="ANALYTICS", help="Snowflake database.")
    schema = Parameter("schema", default="SALES", help="Snowflake schema.")
    table = Parameter("table", default="ORDERS", help="Snowflake table.")
    batch_id = Parameter("batch_id", default="", help="Change batch id (dedupe key).")
    inserted = Parameter("inserted", default=0, help="Rows inserted in the batch.")
    updated = Parameter("updated", default=0, help="Rows updated in the batch.")
    deleted = Parameter("deleted", default=0, help="Rows deleted in the batch.")
    changes = Parameter("changes", default=0, help="inserted + updated + deleted.")
    # Null in the payload (first batch, or only deletes) -> Metaflow skips the parameter,
    # so these default to None.
    window_start = Parameter(
        "window_start", default=None, type=str, help="Previous batch time (ISO); None first."
    )
    window_end = Parameter("window_end", default="", help="This batch's time (ISO 8601).")
    range_column = Parameter("range_column", default="", help="Column of range_min/max.")
    range_min = Parameter("range_min", default=None, type=str, help="Smallest new value.")
    range_max = Parameter("range_max", default=None, type=str, help="Largest new value.")

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(
            f"{self.database}.{self.schema}.{self.table} batch {self.batch_id}: "
            f"+{self.inserted} ~{self.updated} -{self.deleted} "
            f"({self.range_column} {self.range_min}..{self.range_max}) event={event}"
        )
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    SnowflakeOrdersFlow()
