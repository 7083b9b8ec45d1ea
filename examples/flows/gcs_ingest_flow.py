"""Starts when the reference ``gcp`` stack's GCS bridge posts ``gcs.object.finalized``.

Deploy with ``python gcs_ingest_flow.py argo-workflows create``. The bridge sends, besides
the envelope (``name``, ``id`` = ``<bucket>/<object>#<generation>``, ``timestamp`` =
the event time, ``utc_date``), the payload keys mapped below: one per parameter.
``object_name`` is the object's real name (GCS does not URL-encode it).
"""

from metaflow import FlowSpec, Parameter, current, step, trigger


@trigger(
    event={
        "name": "gcs.object.finalized",
        "parameters": {
            "bucket": "bucket",
            "object_name": "object_name",
            "generation": "generation",
            "size": "size",
            "content_type": "content_type",
            "event_type": "event_type",
            "event_time": "event_time",
        },
    }
)
class GcsIngestFlow(FlowSpec):
    """Load one newly uploaded Parquet object from ``gs://<bucket>/uploads/``."""

    bucket = Parameter("bucket", required=True, help="Bucket of the new object.")
    object_name = Parameter("object_name", required=True, help="Object name (not encoded).")
    generation = Parameter(
        "generation", required=True, help="Object generation (string): pins this version."
    )
    size = Parameter("size", type=int, default=0, help="Object size in bytes.")
    content_type = Parameter("content_type", default="", help="Content type, if set.")
    event_type = Parameter("event_type", default="OBJECT_FINALIZE", help="GCS event type.")
    event_time = Parameter("event_time", default="", help="RFC 3339 time of the change.")

    @step
    def start(self) -> None:
        uri = f"gs://{self.bucket}/{self.object_name}#{self.generation}"
        event = current.trigger.event if current.trigger else None
        print(f"ingesting {uri} ({self.size} bytes, {self.content_type}) event={event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    GcsIngestFlow()
