"""Starts when the reference ``aws`` stack's DynamoDB bridge posts ``orders.created``.

Deploy with ``python dynamodb_orders_flow.py argo-workflows create``. Payload keys sent by
the bridge (besides the envelope): ``table``, ``event_name``, ``order_id`` and
``order_date`` (the item's ``pk`` and ``sk`` key attributes), ``sequence_number``,
``approximate_creation_time``.
"""

from metaflow import FlowSpec, Parameter, current, step, trigger


@trigger(
    event={
        "name": "orders.created",
        "parameters": {
            "table": "table",
            "event_name": "event_name",
            "order_id": "order_id",
            "order_date": "order_date",
            "sequence_number": "sequence_number",
            "approximate_creation_time": "approximate_creation_time",
        },
    }
)
class DynamoDbOrdersFlow(FlowSpec):
    """Score one new order."""

    table = Parameter("table", required=True, help="Source table.")
    event_name = Parameter("event_name", default="INSERT", help="INSERT, MODIFY or REMOVE.")
    order_id = Parameter("order_id", required=True, help="Partition key 'pk' of the item.")
    order_date = Parameter("order_date", default="", help="Sort key 'sk' of the item.")
    sequence_number = Parameter("sequence_number", default="", help="Stream sequence number.")
    approximate_creation_time = Parameter(
        "approximate_creation_time", default="", help="When the change happened (ISO 8601)."
    )

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(f"{self.table}: {self.event_name} {self.order_id} event={event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    DynamoDbOrdersFlow()
