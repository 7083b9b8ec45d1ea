"""Starts when the reference ``gcp`` stack's Pub/Sub bridge posts ``orders.published``.

Deploy with ``python pubsub_flow.py argo-workflows create``. The bridge sends, besides
the envelope (``name``, ``id`` = the Pub/Sub message id, ``timestamp`` = the publish time,
``utc_date``), ``order_id`` and ``customer_id`` (from the JSON body) and ``region`` (a
message attribute), only for messages with attribute ``kind=order``.
"""

from metaflow import FlowSpec, Parameter, current, step, trigger


@trigger(
    event={
        "name": "orders.published",
        "parameters": {
            "order_id": "order_id",
            "customer_id": "customer_id",
            "region": "region",
        },
    }
)
class OrderCreatedFlow(FlowSpec):
    """Score one new order for fraud."""

    order_id = Parameter("order_id", required=True, help="Order id (body.order_id).")
    customer_id = Parameter("customer_id", type=int, required=True, help="body.customer.id")
    region = Parameter("region", default="", help="Message attribute 'region'.")

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(f"order={self.order_id} customer={self.customer_id} region={self.region} {event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    OrderCreatedFlow()
