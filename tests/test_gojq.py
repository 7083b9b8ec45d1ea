"""gojq, the jq Argo sensors embed, agrees with jq on every bridge program we generate.

Argo Events runs a dependency's ``transform.jq`` with github.com/itchyny/gojq; replay uses
jq 1.7 (the ``jq`` binding). Every program of every reference stack, and of stacks built
here with the blueprints' optional features (payload defaults, constants and expressions,
URL-decoded S3 keys, id paths, each source type), is compiled by the gojq CLI and run on
the same event data replay feeds jq, for every example event in examples/events/. Both
must give the same JSON value, or both fail (the sensor then drops the event).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jq
import pytest

from metaflow_blueprints.replay import gojson
from tests.engines import JqRun, jq_programs, replay_all
from tests.helpers import require_engine, synth

GOJQ = shutil.which("gojq")


@pytest.fixture(autouse=True)
def _gojq() -> None:
    require_engine("gojq (Debian package gojq)", GOJQ)


def _source(program: str, now: datetime) -> str:
    # Pin `now` the way replay does, in both engines.
    return f"def now: {now.timestamp()!r};\n{program}"


def _input_text(data: dict[str, Any]) -> str:
    # What Argo hands gojq: json.Unmarshal output, every number a float64.
    return json.dumps(gojson.plain(gojson.as_go_floats(data)), ensure_ascii=False)


def run_jq(program: str, text: str) -> tuple[str, Any]:
    try:
        outputs = list(jq.compile(program).input_text(text))
    except ValueError as exc:
        return "error", str(exc)
    return "ok", outputs


def run_gojq(program: str, text: str) -> tuple[str, Any]:
    assert GOJQ is not None
    result = subprocess.run(
        [GOJQ, "-c", program], input=text, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    if result.returncode == 3:
        raise AssertionError(f"gojq cannot compile the program: {result.stderr}\n{program}")
    if result.returncode != 0:
        return "error", result.stderr
    return "ok", [json.loads(line) for line in result.stdout.splitlines()]


def _same(value: Any) -> Any:
    """Value equality as Argo sees it (Go json.Marshal): int and float of one value agree."""
    if isinstance(value, dict):
        return {k: _same(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return ("number", float(value))


def assert_engines_agree(stack: dict[str, Any]) -> int:
    """Every jq program of ``stack`` runs on some example event and jq == gojq there."""
    programs = jq_programs(stack)
    assert programs, "the stack has no jq transform"
    runs, _ = replay_all(stack)
    assert programs <= {run.program for run in runs}, "a program met no example event"
    for run in runs:
        _check(run)
    return len(runs)


def _check(run: JqRun) -> None:
    program, text = _source(run.program, run.now), _input_text(run.data)
    expected, got = run_jq(program, text), run_gojq(program, text)
    where = f"{run.event_file}: {run.program}"
    if expected[0] == "error" or got[0] == "error":
        assert expected[0] == got[0], f"{where}\njq: {expected}\ngojq: {got}"
        return
    assert [_same(v) for v in got[1]] == [_same(v) for v in expected[1]], where
    # gojq's own rendering (Argo re-marshals it) is a string wherever jq's is.
    assert json.dumps(got[1], sort_keys=True).count('"') == json.dumps(
        expected[1], sort_keys=True
    ).count('"'), where


@pytest.mark.parametrize("name", ["aws", "gcp", "webhook", "vendor_webhooks"])
def test_reference_stack_programs_agree(
    name: str, reference_stacks: dict[str, dict[str, Any]]
) -> None:
    assert assert_engines_agree(reference_stacks[name]) > 0


def test_the_comparison_catches_a_real_difference() -> None:
    """gojq sorts object keys in ``tojson`` (jq keeps insertion order): the check sees it."""
    text = '{"b": 1, "a": 2}'
    assert run_jq(". | tojson", text) == ("ok", ['{"b":1,"a":2}'])
    assert run_gojq(". | tojson", text) == ("ok", ['{"a":2,"b":1}'])
    assert run_jq(". | tojson", text) != run_gojq(". | tojson", text)


# --- the optional features, built here -------------------------------------------------


def _webhook_variants(stack: Any) -> None:
    from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
    from metaflow_blueprints.metaflow import PayloadField
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    WebhookToMetaflow(stack, "plain", metaflow=metaflow, event="data.plain", auth=None)
    WebhookToMetaflow(
        stack,
        "featured",
        metaflow=metaflow,
        event="data.featured",
        id_path="delivery_id",
        payload={
            "table": "table",
            "partition": PayloadField.path("partition", default="unknown"),
            "missing": PayloadField.path("no.such.path", default={"nested": [1, 2.5, None]}),
            "big": PayloadField.constant(12345678901234567),
            "ratio": PayloadField.constant(0.1),
            "text": PayloadField.constant("éü \u2603 \"quoted\""),
            "upper": PayloadField.expression(".body.table | ascii_upcase"),
        },
    )


def _aws_variants(stack: Any) -> None:
    from metaflow_blueprints.aws.identity import SqsConsumer
    from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow
    from metaflow_blueprints.blueprints.s3 import S3ToMetaflow
    from metaflow_blueprints.metaflow_events import MetaflowEvents
    from metaflow_blueprints.runtime import provider_module

    provider_module("aws", "provider").AwsProvider(
        stack, "aws", region="us-east-1", skip_credentials_validation=True,
        skip_requesting_account_id=True, skip_metadata_api_check="true",
    )  # fmt: skip
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    consumer = SqsConsumer.pod_identity(cluster_name="ml")
    S3ToMetaflow(stack, "s3n", metaflow=metaflow, bucket_name="mfb-a", event="s3.a",
                 consumer=consumer)  # fmt: skip
    S3ToMetaflow(stack, "s3e", metaflow=metaflow, bucket_name="mfb-b", event="s3.b",
                 consumer=consumer, delivery="eventbridge",
                 events=("s3:ObjectCreated:*", "s3:ObjectRemoved:*"))  # fmt: skip
    DynamoDbToMetaflow(stack, "ddb", metaflow=metaflow, table_name="orders", event="ddb.a",
                       consumer=consumer, event_names=("INSERT", "MODIFY", "REMOVE"))  # fmt: skip
    DynamoDbToMetaflow(stack, "ddbk", metaflow=metaflow, table_name="orders2", event="ddb.b",
                       consumer=consumer, keys={"order_id": "pk"})  # fmt: skip


def _gcp_variants(stack: Any) -> None:
    from metaflow_blueprints.blueprints.gcs import GcsToMetaflow
    from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
    from metaflow_blueprints.metaflow import PayloadField
    from metaflow_blueprints.metaflow_events import MetaflowEvents
    from metaflow_blueprints.runtime import provider_module

    provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-ml")
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    PubSubToMetaflow(stack, "raw", metaflow=metaflow, event="ps.raw", project="acme-ml",
                     topic_name="raw", json_body=False)  # fmt: skip
    PubSubToMetaflow(
        stack, "typed", metaflow=metaflow, event="ps.typed", project="acme-ml", topic_name="typed",
        payload={
            "order_id": "body.order_id",
            "tier": PayloadField.path("body.customer.tier", default="none"),
            "region": "attributes.region",
        },
    )  # fmt: skip
    GcsToMetaflow(
        stack, "gcs", metaflow=metaflow, bucket_name="acme-raw-landing", event="gcs.a",
        project="acme-ml", event_types=("OBJECT_FINALIZE", "OBJECT_DELETE"),
        payload={"generation_text": PayloadField.path("generation", default="")},
    )  # fmt: skip


def _vendor_variants(stack: Any) -> None:
    from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
    from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    DbtCloudToMetaflow(stack, "dbt", metaflow=metaflow, event="dbt.any", account_id="43786",
                       statuses=("Success", "Errored", "Cancelled"))  # fmt: skip
    FivetranToMetaflow(stack, "fivetran", metaflow=metaflow, event="ft.any")


@pytest.mark.parametrize(
    "build",
    [_webhook_variants, _aws_variants, _gcp_variants, _vendor_variants],
    ids=lambda f: f.__name__.strip("_"),
)
def test_blueprint_feature_programs_agree(build: Callable[[Any], None]) -> None:
    assert assert_engines_agree(synth(build)) > 0


@pytest.mark.parametrize(
    "value",
    ["a%20b+c%C3%A9", "%E2%98%83%F0%9F%98%80+x", "100%", "%zz%2", "plain", "", "%2B%2b+%25"],
)
def test_urldecode_agrees_on_edge_cases(value: str) -> None:
    from metaflow_blueprints.metaflow.jq import URLDECODE

    program, text = f"{URLDECODE} mfb_urldecode", json.dumps(value)
    assert run_gojq(program, text) == run_jq(program, text)


@pytest.mark.parametrize(
    "value",
    ["2026-01-01T10:20:30.123Z", "2026-01-01T10:20:30+00:00", "2026-01-01T10:20:30Z",
     "2025-01-15T10:20:30.123456Z", "not a date"],
)  # fmt: skip
def test_epoch_agrees_on_edge_cases(value: str) -> None:
    from metaflow_blueprints.metaflow.jq import EPOCH

    program, text = f"{EPOCH} mfb_epoch", json.dumps(value)
    expected, got = run_jq(program, text), run_gojq(program, text)
    assert expected[0] == got[0]
    if expected[0] == "ok":
        assert [_same(v) for v in got[1]] == [_same(v) for v in expected[1]]
