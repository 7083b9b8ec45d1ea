"""Starts on ``fivetran.sync.succeeded``, posted by the ``vendor_webhooks`` stack's Fivetran bridge.

Deploy with ``python fivetran_flow.py argo-workflows create``. ``FivetranToMetaflow``
posts these payload keys besides the envelope: ``connector_id``, ``connector_name``,
``connector_type``, ``group_id``, ``sync_id``, ``status``, ``created``. By default only
``sync_end`` events with status ``SUCCESSFUL`` arrive; the event id is the sync id.
"""

from metaflow import FlowSpec, Parameter, current, step, trigger

PAYLOAD_KEYS = (
    "connector_id",
    "connector_name",
    "connector_type",
    "group_id",
    "sync_id",
    "status",
    "created",
)


@trigger(
    event={
        "name": "fivetran.sync.succeeded",
        "parameters": {
            "connector_id": "connector_id",
            "connector_name": "connector_name",
            "connector_type": "connector_type",
            "group_id": "group_id",
            "sync_id": "sync_id",
            "status": "status",
            "created": "created",
        },
    }
)
class FivetranSyncFlow(FlowSpec):
    """Refresh features from the tables a Fivetran connector has just synced."""

    connector_id = Parameter("connector_id", required=True, help="Fivetran connector id.")
    connector_name = Parameter("connector_name", default="", help="Connector (schema) name.")
    connector_type = Parameter("connector_type", default="", help="Connector service type.")
    group_id = Parameter("group_id", default="", help="Destination group id.")
    sync_id = Parameter("sync_id", required=True, help="Sync id (also the event id).")
    status = Parameter("status", default="SUCCESSFUL", help="Sync status.")
    created = Parameter("created", default="", help="ISO 8601 time of the event.")

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(f"connector {self.connector_id} ({self.connector_type}) sync {self.sync_id}")
        print(f"status={self.status} event={event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    FivetranSyncFlow()
