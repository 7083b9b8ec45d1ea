"""The reference ``aws`` stack: resources and properties, schema, checkov, parliament."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string

from tests.helpers import checkov_failures, manifests, resources

# Realistic values for the ${...} interpolations inside synthesized policy documents, so
# parliament can check actions against resource ARNs of the right service.
_FAKES = [
    (r"^data\.aws_caller_identity\..*\.account_id$", "123456789012"),
    (r"^data\.aws_partition\..*\.partition$", "aws"),
    (r"^data\.aws_region\..*\.region$", "us-east-1"),
    (r"^aws_sqs_queue\.(.*)\.arn$", "arn:aws:sqs:us-east-1:123456789012:q-{0}"),
    (
        r"^aws_kms_key\..*\.arn$",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    (r"^aws_cloudwatch_event_rule\.(.*)\.arn$", "arn:aws:events:us-east-1:123456789012:rule/{0}"),
    (r"^aws_iam_role\.(.*)\.arn$", "arn:aws:iam::123456789012:role/{0}"),
    # Real stream labels are timestamps with ':' (2026-01-01T00:00:00.000), which parliament's
    # ARN matcher splits as ARN fields; a colon-free label keeps the check meaningful.
    (
        r"^data\.aws_dynamodb_table\..*\.stream_arn$",
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00.00.00.000",
    ),
]


def _concrete(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        expression = match.group(1)
        for pattern, fake in _FAKES:
            found = re.match(pattern, expression)
            if found:
                return fake.format(*[g.replace("_", "-") for g in found.groups()])
        raise AssertionError(f"no fake value for ${{{expression}}}")

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def _policy_documents(tf: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for type_, attribute in [
        ("aws_sqs_queue_policy", "policy"),
        ("aws_kms_key", "policy"),
        ("aws_iam_role", "assume_role_policy"),
        ("aws_iam_role_policy", "policy"),
    ]:
        for name, body in resources(tf, type_).items():
            found[f"{type_}.{name}"] = _concrete(body[attribute])
    return found


def test_every_resource_type_is_there(aws_stack: dict[str, Any]) -> None:
    counts = {t: len(v) for t, v in aws_stack["resource"].items()}
    assert counts == {
        "aws_cloudwatch_event_rule": 1,
        "aws_cloudwatch_event_target": 1,
        "aws_cloudwatch_metric_alarm": 3,  # one per DLQ
        "aws_eks_pod_identity_association": 1,
        "aws_iam_role": 4,  # 3 consumers + 1 pipe
        "aws_iam_role_policy": 4,
        "aws_kms_key": 1,
        "aws_pipes_pipe": 1,
        "aws_s3_bucket_notification": 2,  # one per bucket
        "aws_sqs_queue": 6,  # 3 queues + 3 DLQs
        "aws_sqs_queue_policy": 6,
        "aws_sqs_queue_redrive_allow_policy": 3,
        "aws_sqs_queue_redrive_policy": 3,
        "kubernetes_manifest": 6,
        "kubernetes_role_binding_v1": 1,  # the bridge Sensors' dead-letter RBAC
        "kubernetes_role_v1": 1,
        "kubernetes_service_account_v1": 4,  # 3 EventSources + the bridge Sensors
    }


def test_provider_synthesizes_offline(aws_stack: dict[str, Any]) -> None:
    (provider,) = aws_stack["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    assert provider["skip_credentials_validation"] is True
    assert provider["skip_requesting_account_id"] is True
    assert "access_key" not in provider and "secret_key" not in provider


def test_queues_are_encrypted_and_never_with_the_aws_managed_key(aws_stack: dict[str, Any]) -> None:
    queues = resources(aws_stack, "aws_sqs_queue")
    for name, queue in queues.items():
        assert queue.get("sqs_managed_sse_enabled") is True or queue.get(
            "kms_master_key_id", ""
        ).startswith("${aws_kms_key."), name
        assert "alias/aws/sqs" not in json.dumps(queue)
    raw = [q for n, q in queues.items() if n.startswith("raw_uploads_queue_") and "dlq" not in n]
    assert raw and raw[0]["kms_master_key_id"].startswith("${aws_kms_key.raw_uploads_queue_key")
    (key,) = resources(aws_stack, "aws_kms_key").values()
    assert key["enable_key_rotation"] is True
    statements = json.loads(key["policy"])["Statement"]
    producer = [s for s in statements if s.get("Principal") == {"Service": "s3.amazonaws.com"}]
    assert producer and producer[0]["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert set(producer[0]["Condition"]) == {"ArnEquals", "StringEquals"}
    assert producer[0]["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(":s3:::mfb-example-raw")


def test_dead_letter_queues_use_separate_redrive_resources(aws_stack: dict[str, Any]) -> None:
    redrives = resources(aws_stack, "aws_sqs_queue_redrive_policy")
    counts = sorted(json.loads(r["redrive_policy"])["maxReceiveCount"] for r in redrives.values())
    assert counts == [5, 5, 10]
    for redrive in redrives.values():
        target = json.loads(redrive["redrive_policy"])["deadLetterTargetArn"]
        assert re.match(r"^\$\{aws_sqs_queue\.\w+_queue_dlq_\w+\.arn\}$", target), target
    for allow in resources(aws_stack, "aws_sqs_queue_redrive_allow_policy").values():
        body = json.loads(allow["redrive_allow_policy"])
        assert body["redrivePermission"] == "byQueue" and len(body["sourceQueueArns"]) == 1
    for queue in resources(aws_stack, "aws_sqs_queue").values():
        assert "redrive_policy" not in queue


def test_queue_policies_deny_plain_http_and_pin_producers(aws_stack: dict[str, Any]) -> None:
    policies = resources(aws_stack, "aws_sqs_queue_policy")
    producers = {}
    for name, policy in policies.items():
        statements = json.loads(policy["policy"])["Statement"]
        deny = statements[0]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {
            "Bool": {"aws:SecureTransport": "false"}
        }, name
        for statement in statements[1:]:
            if statement["Sid"] == "DenyReceiveExceptConsumers":
                continue  # test_queues_are_pinned_to_their_consumer_role
            assert statement["Action"] == "sqs:SendMessage"
            principal = statement["Principal"]
            producers[name] = principal
            if "Service" in principal:
                assert statement["Condition"]["ArnEquals"]["aws:SourceArn"]
                assert statement["Condition"]["StringEquals"]["aws:SourceAccount"]
    by_blueprint = {name.split("_queue_")[0]: principal for name, principal in producers.items()}
    assert by_blueprint["raw_uploads"] == {"Service": "s3.amazonaws.com"}
    assert by_blueprint["curated_tables"] == {"Service": "events.amazonaws.com"}
    assert by_blueprint["new_orders"]["AWS"].startswith("${aws_iam_role.new_orders_pipe_role_")
    assert len(producers) == 3  # DLQ policies allow nobody to send


def test_queues_are_pinned_to_their_consumer_role(aws_stack: dict[str, Any]) -> None:
    # Another same-account principal with sqs:* in IAM still cannot receive or delete:
    # an explicit Deny in the queue policy wins.
    roles = resources(aws_stack, "aws_iam_role")
    pinned = {}
    for name, policy in resources(aws_stack, "aws_sqs_queue_policy").items():
        statements = json.loads(policy["policy"])["Statement"]
        denies = [s for s in statements if s["Sid"] == "DenyReceiveExceptConsumers"]
        if "dlq" in name:
            assert denies == [], name  # the DLQ is read by operators, not by the consumer
            continue
        (deny,) = denies
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
        assert deny["Action"] == ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
        (arn,) = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        role = arn.removeprefix("${aws_iam_role.").removesuffix(".arn}")
        assert role in roles, arn
        pinned[name.split("_queue_")[0]] = roles[role]["name"]
    assert pinned == {
        "raw_uploads": "aws-raw-uploads",
        "curated_tables": "aws-curated-tables",
        "new_orders": "aws-new-orders",
    }


def test_notification_waits_for_the_queue_policy(aws_stack: dict[str, Any]) -> None:
    notifications = resources(aws_stack, "aws_s3_bucket_notification")
    raw = next(n for n in notifications.values() if n["bucket"] == "mfb-example-raw")
    curated = next(n for n in notifications.values() if n["bucket"] == "mfb-example-curated")
    assert raw["queue"][0]["filter_prefix"] == "uploads/"
    assert raw["queue"][0]["filter_suffix"] == ".csv"
    assert raw["queue"][0]["events"] == ["s3:ObjectCreated:*"]
    # Bare addresses: Terraform JSON rejects "${...}" in depends_on (`terraform init` proves it).
    assert any(
        d.startswith("aws_sqs_queue_policy.raw_uploads_queue_policy") for d in raw["depends_on"]
    )
    assert not any("${" in d for d in raw["depends_on"])
    assert "eventbridge" not in raw
    assert curated["eventbridge"] is True and "queue" not in curated


def test_eventbridge_rule_and_target(aws_stack: dict[str, Any]) -> None:
    (rule,) = resources(aws_stack, "aws_cloudwatch_event_rule").values()
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": ["mfb-example-curated"]},
            "object": {"key": [{"prefix": "tables/"}]},
        },
    }
    (target,) = resources(aws_stack, "aws_cloudwatch_event_target").values()
    assert target["arn"].startswith("${aws_sqs_queue.curated_tables_queue_")
    assert target["depends_on"]


def test_consumer_roles_are_least_privilege(aws_stack: dict[str, Any]) -> None:
    policies = resources(aws_stack, "aws_iam_role_policy")
    consumers = {n: json.loads(p["policy"]) for n, p in policies.items() if "identity" in n}
    assert len(consumers) == 3
    for name, doc in consumers.items():
        consume = doc["Statement"][0]
        assert consume["Action"] == ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
        assert (
            consume["Resource"].startswith("${aws_sqs_queue.") and "dlq" not in consume["Resource"]
        )
        decrypt = doc["Statement"][1:]
        if name.startswith("raw_uploads"):
            assert decrypt == [
                {
                    "Sid": "DecryptQueue",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": decrypt[0]["Resource"],
                }
            ] and decrypt[0]["Resource"].startswith("${aws_kms_key.")
        else:
            assert decrypt == []


def test_irsa_trust_pins_sub_and_aud(aws_stack: dict[str, Any]) -> None:
    roles = resources(aws_stack, "aws_iam_role")
    irsa = json.loads(
        next(r for n, r in roles.items() if n.startswith("raw_uploads"))["assume_role_policy"]
    )
    (statement,) = irsa["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    host = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    assert statement["Condition"]["StringEquals"] == {
        f"{host}:sub": "system:serviceaccount:metaflow:aws-raw-uploads",
        f"{host}:aud": "sts.amazonaws.com",
    }
    accounts = resources(aws_stack, "kubernetes_service_account_v1")
    annotated = [a for a in accounts.values() if a["metadata"].get("annotations")]
    assert len(annotated) == 2  # the two IRSA consumers; pod identity needs no annotation
    (association,) = resources(aws_stack, "aws_eks_pod_identity_association").values()
    assert association["cluster_name"] == "ml-platform"
    assert association["service_account"] == "aws-curated-tables"
    assert association["namespace"] == "metaflow"
    assert association["disable_session_tags"] is False


def test_pod_identity_trust_is_pinned_by_session_tags(aws_stack: dict[str, Any]) -> None:
    # Without these, any Pod Identity association in the account could assume the role.
    (association,) = resources(aws_stack, "aws_eks_pod_identity_association").values()
    role_name = association["role_arn"].split(".")[1]
    role = resources(aws_stack, "aws_iam_role")[role_name]
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    condition = statement["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/kubernetes-namespace"] == association["namespace"]
    assert condition["aws:RequestTag/kubernetes-service-account"] == association["service_account"]
    arn = _concrete(condition["aws:RequestTag/eks-cluster-arn"])
    assert arn == "arn:aws:eks:us-east-1:123456789012:cluster/ml-platform"
    assert condition["aws:SourceAccount"].startswith("${data.aws_caller_identity.")


def test_pipe_source_parameters_and_role(aws_stack: dict[str, Any]) -> None:
    (pipe,) = resources(aws_stack, "aws_pipes_pipe").values()
    params = pipe["source_parameters"]["dynamodb_stream_parameters"]
    assert params["starting_position"] == "LATEST"
    assert params["batch_size"] == 10
    assert params["maximum_retry_attempts"] == 10
    assert params["maximum_record_age_in_seconds"] == 3600
    assert params["dead_letter_config"]["arn"].startswith("${aws_sqs_queue.new_orders_queue_dlq")
    (criteria,) = pipe["source_parameters"]["filter_criteria"]["filter"]
    assert json.loads(criteria["pattern"]) == {"eventName": ["INSERT"]}
    assert pipe["source"].startswith("${data.aws_dynamodb_table.")
    assert pipe["target"].startswith("${aws_sqs_queue.new_orders_queue_")
    roles = resources(aws_stack, "aws_iam_role")
    trust = json.loads(next(r for n, r in roles.items() if "pipe_role" in n)["assume_role_policy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert set(condition) == {"aws:SourceArn", "aws:SourceAccount"}
    assert ":pipes:" in condition["aws:SourceArn"] and condition["aws:SourceArn"].endswith(
        "pipe/aws-new-orders"
    )


def test_event_sources_use_their_service_account(aws_stack: dict[str, Any]) -> None:
    sources = manifests(aws_stack, "EventSource")
    assert len(sources) == 3
    for source in sources:
        (sqs,) = source["spec"]["sqs"].values()
        assert sqs["jsonBody"] is True and sqs["dlq"] is True
        assert "accessKey" not in sqs
        assert source["spec"]["template"]["serviceAccountName"] == source["metadata"]["name"]


def test_every_manifest_passes_the_strict_argo_schema(
    aws_stack: dict[str, Any], strict_validator: Any
) -> None:
    for manifest in manifests(aws_stack):
        assert strict_validator.errors(manifest) == [], manifest["metadata"]["name"]


def test_checkov_clean(aws_stack: dict[str, Any], tmp_path: Path) -> None:
    assert checkov_failures(aws_stack, tmp_path) == []


def test_every_policy_document_is_clean_under_parliament(aws_stack: dict[str, Any]) -> None:
    documents = _policy_documents(aws_stack)
    assert len(documents) == 6 + 1 + 4 + 4
    findings = {}
    for name, text in documents.items():
        kind = name.split(".")[0]
        analyzed = analyze_policy_string(
            text, ignore_private_auditors=True, include_community_auditors=False
        )
        issues = [
            f"{f.issue}: {f.detail}"
            for f in analyzed.findings
            if f.issue not in _IGNORED.get(kind, set())
            or (f.issue == "MALFORMED" and f.detail != _NO_RESOURCE)
        ]
        if issues:
            findings[name] = issues
    assert findings == {}


_NO_RESOURCE = "Statement contains neither Resource nor NotResource"
#: Findings that do not apply to a kind of document (parliament lints identity policies):
_IGNORED: dict[str, set[str]] = {
    # Trust policies have no Resource by definition (the role is the resource), and
    # parliament only knows Cognito/SAML federation, not EKS OIDC providers.
    "aws_iam_role": {"MALFORMED", "UNKNOWN_FEDERATION_SOURCE"},
    # In a key policy "Resource": "*" means "this key" (KMS requires exactly that).
    "aws_kms_key": {"RESOURCE_STAR"},
}


@pytest.mark.parametrize("name", ["aws"])
def test_reference_stack_is_registered(name: str) -> None:
    from stacks.__main__ import STACKS

    assert STACKS[name] == "stacks.aws:AwsStack"
