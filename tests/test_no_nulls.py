"""Optional payload keys whose source is absent are left out: nothing posts JSON null."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.replay import replay
from metaflow_blueprints.synth import synth_app
from stacks.__main__ import STACKS, build
from tests.helpers import REPO

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events"
AUTH = {"Authorization": "Bearer <token>", "Content-Type": "application/json"}


def _load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def _unversioned_s3() -> Any:
    event = _load("aws/s3_put_encoded_key.json")
    del event["Records"][0]["s3"]["object"]["versionId"]
    return event


def _without(name: str, *paths: str) -> Any:
    """The example event ``name`` with the dotted ``paths`` (optional fields) removed."""
    event = copy.deepcopy(_load(name))
    for path in paths:
        *parents, last = path.split(".")
        node = event
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]
    return event


# (stack, source, event): every blueprint family with an absent optional field.
CASES = [
    ("aws", "aws-raw-uploads/s3-raw-uploaded", _unversioned_s3()),
    ("aws", "aws-new-orders/orders-created",
     _without("aws/dynamodb_insert.json", "eventSourceARN", "dynamodb.SequenceNumber",
              "dynamodb.ApproximateCreationDateTime")),
    ("gcp", "gcp-uploads/gcs-object-finalized",
     _without("gcp/gcs-object-finalize.json", "data.contentType", "data.size")),
    ("gcp", "gcp-orders/orders-published", _load("gcp/pubsub-order.json")),
    ("vendor_webhooks", "vendor-webhooks-dbt-cloud/dbt-job-completed",
     _without("vendor_webhooks/dbt_job_run_completed_success.json", "data.jobName",
              "data.runStartedAt", "data.runFinishedAt")),
    ("vendor_webhooks", "vendor-webhooks-fivetran/fivetran-sync-succeeded",
     _without("vendor_webhooks/fivetran_sync_end_successful.json", "connector_name",
              "connector_type", "created")),
    ("webhook", "webhook-data-updated/data-updated", _load("webhook/data_ready.json")),
]


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("cdktf.out")
    synth_app(build(str(outdir)))
    return {
        name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text()) for name in STACKS
    }


def _nulls(value: Any, where: str = "payload") -> Iterator[str]:
    if value is None:
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nulls(item, f"{where}[{i}]")


@pytest.mark.parametrize(("stack", "source", "event"), CASES, ids=[c[1] for c in CASES])
def test_replayed_events_post_no_null(
    stack: str, source: str, event: Any, stacks: dict[str, dict[str, Any]]
) -> None:
    result = replay(stacks[stack], event=event, source=source, headers=AUTH, now=NOW,
                    explain=True)
    assert result.metaflow_events, "\n".join(result.explain)
    for posted in result.metaflow_events:
        assert list(_nulls(posted["payload"])) == [], posted


def test_unversioned_s3_leaves_version_id_out(stacks: dict[str, dict[str, Any]]) -> None:
    (posted,) = replay(stacks["aws"], event=_unversioned_s3(),
                       source="aws-raw-uploads/s3-raw-uploaded", now=NOW).metaflow_events
    assert "version_id" not in posted["payload"]
    (versioned,) = replay(stacks["aws"], event=_load("aws/s3_put_encoded_key.json"),
                          source="aws-raw-uploads/s3-raw-uploaded", now=NOW).metaflow_events
    assert versioned["payload"]["version_id"] == "096fKKXTRTtl3on89fVO.nfljtsv6qko"
