"""Starts when the reference ``aws`` stack's S3 bridge posts ``s3.raw.uploaded``.

Deploy with ``python s3_ingest_flow.py argo-workflows create``. Payload keys sent by the
bridge (besides the envelope): ``bucket``, ``key`` (decoded), ``size``, ``etag``,
``version_id``, ``sequencer``, ``event_name``, ``event_time``, ``region``.
"""

from metaflow import FlowSpec, Parameter, current, step, trigger


@trigger(
    event={
        "name": "s3.raw.uploaded",
        "parameters": {
            "bucket": "bucket",
            "key": "key",
            "size": "size",
            "etag": "etag",
            "version_id": "version_id",
            "sequencer": "sequencer",
            "event_name": "event_name",
            "event_time": "event_time",
            "region": "region",
        },
    }
)
class S3IngestFlow(FlowSpec):
    """Ingest one CSV file uploaded under s3://mfb-example-raw/uploads/."""

    bucket = Parameter("bucket", required=True, help="Bucket of the new object.")
    key = Parameter("key", required=True, help="Object key, URL-decoded.")
    size = Parameter("size", default="", help="Object size in bytes.")
    etag = Parameter("etag", default="", help="Object ETag.")
    version_id = Parameter("version_id", default="", help="Version id (versioned buckets).")
    sequencer = Parameter("sequencer", default="", help="S3 sequencer (orders events per key).")
    event_name = Parameter("event_name", default="", help="e.g. ObjectCreated:Put.")
    event_time = Parameter("event_time", default="", help="ISO 8601 event time.")
    region = Parameter("region", default="", help="Bucket region.")

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(f"s3://{self.bucket}/{self.key} ({self.size} bytes) event={event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    S3IngestFlow()
