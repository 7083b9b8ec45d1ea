"""SqsConsumer bad input, and the Pod Identity trust document under parliament."""

from __future__ import annotations

import json

import pytest
from parliament import analyze_policy_string

from metaflow_blueprints.aws import policies
from metaflow_blueprints.aws.identity import SqsConsumer
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable


@pytest.mark.parametrize(
    "name", ["", "-cluster", "ml platform", "a" * 101, "ml.platform", "${var.cluster}"]
)
def test_bad_cluster_names_are_refused(name: str) -> None:
    with pytest.raises(BlueprintError) as info:
        SqsConsumer.pod_identity(cluster_name=name)
    assert info.value.field == "cluster_name"


def test_good_cluster_names() -> None:
    token = TerraformVariable(TerraformStack(App(), "s"), "cluster", type="string").string_value
    for name in ("ml-platform", "a", "Prod_1", "a" * 100, token):
        SqsConsumer.pod_identity(cluster_name=name)


def test_pod_identity_trust_without_the_cluster_still_pins_namespace_and_account() -> None:
    trust = policies.pod_identity_trust(
        account_id="123456789012", namespace="metaflow", service_account="sa"
    )
    (statement,) = trust["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": "123456789012",
        "aws:RequestTag/kubernetes-namespace": "metaflow",
        "aws:RequestTag/kubernetes-service-account": "sa",
    }


def test_pod_identity_trust_is_parliament_clean() -> None:
    trust = policies.pod_identity_trust(
        account_id="123456789012",
        namespace="metaflow",
        service_account="sa",
        cluster_arn="arn:aws:eks:us-east-1:123456789012:cluster/ml-platform",
    )
    analyzed = analyze_policy_string(
        json.dumps(trust), ignore_private_auditors=True, include_community_auditors=False
    )
    # A trust policy has no Resource by definition (the role is the resource).
    issues = [f.issue for f in analyzed.findings if f.issue != "MALFORMED"]
    assert issues == []
