"""EventQueue consumer pinning: admins, opt-out, bad input; parliament on the document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from parliament import analyze_policy_string

from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.queue import EventQueue
from metaflow_blueprints.errors import BlueprintError
from tests.helpers import resources, synth

ROLE = "arn:aws:iam::123456789012:role/consumer"
ADMIN = "arn:aws:iam::123456789012:role/sqs-operator"


def _main_policy(**props: Any) -> dict[str, Any]:
    def build(stack: Any) -> None:
        EventQueue(stack, "q", name="q", **props).allow_consumer(ROLE)

    terraform = synth(build)
    (policy,) = [
        p for n, p in resources(terraform, "aws_sqs_queue_policy").items() if "dlq" not in n
    ]
    return json.loads(policy["policy"])  # type: ignore[no-any-return]


def _deny(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s["Sid"] == "DenyReceiveExceptConsumers"]


def test_consumer_and_admins_are_the_only_exceptions() -> None:
    (deny,) = _deny(_main_policy(consumer_admin_principals=[ADMIN]))
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [ROLE, ADMIN]}}


def test_opt_out_leaves_it_to_iam() -> None:
    assert _deny(_main_policy(pin_consumers=False)) == []


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"pin_consumers": "yes"}, "pin_consumers"),
        ({"consumer_admin_principals": ADMIN}, "consumer_admin_principals"),
        ({"consumer_admin_principals": ["operator"]}, "consumer_admin_principals"),
        ({"consumer_admin_principals": ["arn:aws:s3:::bucket"]}, "consumer_admin_principals"),
    ],
)
def test_bad_pinning_props(props: dict[str, Any], field: str) -> None:
    def build(stack: Any) -> None:
        EventQueue(stack, "q", name="q", **props)

    with pytest.raises(BlueprintError) as info:
        synth(build)
    assert info.value.field == field


def test_pinned_queue_policy_is_parliament_clean() -> None:
    document = policies.queue_policy(
        "arn:aws:sqs:us-east-1:123456789012:q",
        producers=[
            policies.ServiceProducer("s3.amazonaws.com", "arn:aws:s3:::bucket", "123456789012")
        ],
        consumers=[ROLE],
        consumer_admins=[ADMIN],
    )
    analyzed = analyze_policy_string(
        json.dumps(document), ignore_private_auditors=True, include_community_auditors=False
    )
    assert [f"{f.issue}: {f.detail}" for f in analyzed.findings] == []
