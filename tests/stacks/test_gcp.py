"""Reference stack ``gcp``: offline synth, checkov, strict schema, sample events end to end
(through the bridge, Metaflow's webhook and the sensor Metaflow compiles for each example flow)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.replay import replay
from metaflow_blueprints.replay.testing import (
    assert_no_trigger,
    replay_events,
    stack_from_manifests,
)
from metaflow_blueprints.runtime import App, synth_stack
from stacks import settings as settings_module
from stacks.gcp import GcpStack
from tests.helpers import REPO, checkov_failures, manifests, resources

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
EVENTS = REPO / "examples" / "events" / "gcp"
GCS = "gcp-uploads/gcs-object-finalized"
ORDERS = "gcp-orders/orders-published"
METAFLOW_WEBHOOK = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "EventSource",
    "metadata": {"name": "argo-events-webhook", "namespace": "metaflow"},
    "spec": {
        "webhook": {
            "metaflow-event": {"endpoint": "/metaflow-event", "port": "12000", "method": "POST"}
        }
    },
}


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = App(outdir=str(tmp_path_factory.mktemp("cdktf")))
    return synth_stack(GcpStack(app, "gcp", settings_module.load()))


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())  # type: ignore[no-any-return]


def test_google_provider_has_no_credentials(terraform: dict[str, Any]) -> None:
    (google,) = terraform["provider"]["google"]
    assert google == {"project": "acme-ml-prod", "region": "europe-west1"}


def test_checkov_clean(terraform: dict[str, Any], tmp_path: Path) -> None:
    assert checkov_failures(terraform, tmp_path) == []


def test_topics_use_the_customer_managed_key(terraform: dict[str, Any]) -> None:
    topics = list(resources(terraform, "google_pubsub_topic").values())
    assert len(topics) == 3  # the GCS topic and two dead-letter topics
    assert {t["kms_key_name"] for t in topics} == {
        "projects/acme-security/locations/europe-west1/keyRings/pubsub/cryptoKeys/pubsub"
    }
    grants = {
        f"google_kms_crypto_key_iam_member.{k}"
        for k in resources(terraform, "google_kms_crypto_key_iam_member")
    }
    assert len(grants) == 1  # one key, one project: one shared grant (KmsGrants)
    # Every encrypted topic waits for the Pub/Sub service agent's grant on the key.
    assert all(set(t["depends_on"]) <= grants and t["depends_on"] for t in topics)


def test_manifests_pass_the_strict_schema(terraform: dict[str, Any], strict_validator: Any) -> None:
    found = manifests(terraform)
    assert sorted(m["kind"] for m in found) == ["EventSource", "EventSource", "Sensor", "Sensor"]
    for manifest in found:
        assert strict_validator.errors(manifest) == []


def test_sample_events(terraform: dict[str, Any]) -> None:
    (gcs,) = replay_events(terraform, _event("gcs-object-finalize"), source=GCS, now=NOW)
    assert gcs["payload"]["object_name"] == "uploads/2025-01-15/orders batch 1.parquet"
    for name in ("gcs-object-delete", "gcs-outside-prefix", "gcs-outside-suffix"):
        assert_no_trigger(terraform, _event(name), source=GCS, now=NOW)
    (order,) = replay_events(terraform, _event("pubsub-order"), source=ORDERS, now=NOW)
    assert order == {
        "name": "orders.published",
        "payload": {
            "name": "orders.published",
            "id": "9876543210123",
            "timestamp": 1740924309,
            "utc_date": "20250302",
            "order_id": "A-100234",
            "customer_id": 4711,
            "region": "eu-west",
        },
    }


def _metaflow_sensor(flow_file: str, flow_class: str) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "metaflow_sensor.py"),
            str(REPO / "examples" / "flows" / flow_file),
            flow_class,
            "metaflow",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _workflow_parameters(posted: Any, flow_file: str, flow_class: str) -> dict[str, str]:
    sensor = _drop_nulls(_metaflow_sensor(flow_file, flow_class))
    result = replay(stack_from_manifests([METAFLOW_WEBHOOK, sensor]), event=posted, now=NOW)
    (fired,) = result.fired
    return {p["name"]: p["value"] for p in fired["resource"]["spec"]["arguments"]["parameters"]}


def test_gcs_example_flow_starts_with_every_mapped_parameter(terraform: dict[str, Any]) -> None:
    (posted,) = replay_events(terraform, _event("gcs-object-finalize"), source=GCS, now=NOW)
    parameters = _workflow_parameters(posted, "gcs_ingest_flow.py", "GcsIngestFlow")
    assert {k: json.loads(v) for k, v in parameters.items() if not k.startswith("gcsobject")} == {
        "bucket": "acme-raw-landing",
        "object_name": "uploads/2025-01-15/orders batch 1.parquet",
        "generation": "1736936430123456",
        "size": 482133,
        "content_type": "application/vnd.apache.parquet",
        "event_type": "OBJECT_FINALIZE",
        "event_time": "2025-01-15T10:20:30.123456Z",
    }
    (carried,) = [json.loads(v) for k, v in parameters.items() if k.startswith("gcsobject")]
    assert carried == posted["payload"]


def test_pubsub_example_flow_starts_with_every_mapped_parameter(terraform: dict[str, Any]) -> None:
    (posted,) = replay_events(terraform, _event("pubsub-order"), source=ORDERS, now=NOW)
    parameters = _workflow_parameters(posted, "pubsub_flow.py", "OrderCreatedFlow")
    assert {k: json.loads(v) for k, v in parameters.items() if not k.startswith("orders")} == {
        "order_id": "A-100234",
        "customer_id": 4711,
        "region": "eu-west",
    }
