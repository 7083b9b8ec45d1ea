"""Starts when the reference ``webhook`` stack's bridge posts ``data.updated``.

Deploy with ``python data_updated_flow.py argo-workflows create``. The bridge sends
payload keys ``table`` and ``partition`` (from the request body) besides the envelope.
"""

from metaflow import FlowSpec, Parameter, current, step, trigger


@trigger(event={"name": "data.updated", "parameters": {"table": "table", "partition": "partition"}})
class DataUpdatedFlow(FlowSpec):
    """Rebuild features for one partition of a table that was just updated."""

    table = Parameter("table", required=True, help="Updated table (payload key 'table').")
    partition = Parameter("partition", default="", help="Updated partition, if any.")

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(f"table={self.table} partition={self.partition} event={event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    DataUpdatedFlow()
