"""IAM, queue and key policy documents as plain dicts (lintable with parliament).

Every function takes the ARNs/ids it needs (concrete strings or cdktf string tokens) and
returns a policy document. :func:`render` turns one into the JSON string Terraform gets;
string tokens embedded in it resolve to ``${...}`` interpolations at synth time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Policy = dict[str, Any]
VERSION = "2012-10-17"

#: Exactly what the Argo Events SQS event source calls (argo-events.md §(f)).
CONSUMER_ACTIONS = ("sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage")
#: What only the queue's consumer (and named admins) may do on a pinned queue.
PINNED_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage")
#: What a DynamoDB-stream pipe source needs on the stream (eb-pipes-dynamodb.html);
#: ``dynamodb:ListStreams`` has no resource-level permissions and takes ``"*"``.
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")


@dataclass(frozen=True)
class ServiceProducer:
    """An AWS service principal allowed to send to a queue for one source resource."""

    service: str  # e.g. "s3.amazonaws.com"
    source_arn: str
    source_account: str


def render(document: Policy) -> str:
    """The JSON text of ``document`` (tokens inside strings stay as tokens)."""
    return json.dumps(document, separators=(",", ":"))


def deny_insecure_transport(resource_arn: str) -> Policy:
    """Deny every SQS request that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": resource_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_other_consumers(queue_arn: str, principal_arns: Sequence[str]) -> Policy:
    """Deny ReceiveMessage/DeleteMessage to every principal but ``principal_arns``.

    An explicit Deny wins over any same-account IAM policy that grants ``sqs:*``, so another
    workload cannot steal or drop the events. ``aws:PrincipalArn`` of a role session is the
    role's ARN.
    """
    return {
        "Sid": "DenyReceiveExceptConsumers",
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(PINNED_ACTIONS),
        "Resource": queue_arn,
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": list(principal_arns)}},
    }


def queue_policy(
    queue_arn: str,
    *,
    producers: Sequence[ServiceProducer] = (),
    producer_roles: Sequence[str] = (),
    enforce_tls: bool = True,
    consumers: Sequence[str] = (),
    consumer_admins: Sequence[str] = (),
) -> Policy:
    """Queue policy: TLS only; SendMessage only for the named producers; with
    ``consumers``, nobody else may receive or delete messages.

    Service principals are allowed only with ``aws:SourceArn`` **and** ``aws:SourceAccount``
    (confused-deputy hardening); roles (e.g. a pipe's role) are named by ARN.
    """
    statements: list[Policy] = []
    if enforce_tls:
        statements.append(deny_insecure_transport(queue_arn))
    if consumers:
        statements.append(deny_other_consumers(queue_arn, [*consumers, *consumer_admins]))
    for index, producer in enumerate(producers):
        statements.append(
            {
                "Sid": f"AllowService{index}",
                "Effect": "Allow",
                "Principal": {"Service": producer.service},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": producer.source_arn},
                    "StringEquals": {"aws:SourceAccount": producer.source_account},
                },
            }
        )
    for index, role_arn in enumerate(producer_roles):
        statements.append(
            {
                "Sid": f"AllowRole{index}",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def key_policy(
    *, account_id: str, partition: str, producers: Sequence[ServiceProducer] = ()
) -> Policy:
    """Key policy of a queue's customer-managed key.

    The account keeps control of the key through IAM (the KMS default statement); each
    producer service may create data keys and decrypt only for its own source resource.
    """
    statements: list[Policy] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for index, producer in enumerate(producers):
        statements.append(
            {
                "Sid": f"AllowProducer{index}",
                "Effect": "Allow",
                "Principal": {"Service": producer.service},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": producer.source_arn},
                    "StringEquals": {"aws:SourceAccount": producer.source_account},
                },
            }
        )
    return {"Version": VERSION, "Statement": statements}


def consumer_policy(queue_arn: str, kms_key_arn: str | None = None) -> Policy:
    """Exactly what the Argo SQS event source needs on its queue (+ decrypt for a CMK)."""
    statements: list[Policy] = [
        {
            "Sid": "ConsumeQueue",
            "Effect": "Allow",
            "Action": list(CONSUMER_ACTIONS),
            "Resource": queue_arn,
        }
    ]
    if kms_key_arn is not None:
        statements.append(
            {
                "Sid": "DecryptQueue",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def irsa_trust(
    *, oidc_provider_arn: str, issuer: str, namespace: str, service_account: str
) -> Policy:
    """Trust for IRSA: only ``system:serviceaccount:NS:SA`` with audience sts.amazonaws.com."""
    host = issuer.removeprefix("https://")
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "IrsaServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def pod_identity_trust(
    *,
    account_id: str,
    namespace: str,
    service_account: str,
    cluster_arn: str | None = None,
) -> Policy:
    """Trust for EKS Pod Identity, pinned by the session tags EKS adds to the request.

    Without the tag conditions any Pod Identity association in the account could use the
    role. EKS sets ``kubernetes-namespace``, ``kubernetes-service-account`` and
    ``eks-cluster-arn`` (among others) as session tags, hence ``sts:TagSession``
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html and pod-id-abac.html).
    The association must keep session tags enabled.
    """
    tags = {
        "aws:SourceAccount": account_id,
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": service_account,
    }
    if cluster_arn is not None:
        tags["aws:RequestTag/eks-cluster-arn"] = cluster_arn
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": tags},
            }
        ],
    }


def pipe_trust(*, pipe_arn: str, account_id: str) -> Policy:
    """Trust for one EventBridge pipe (SourceArn and SourceAccount pinned)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "EventBridgePipe",
                "Effect": "Allow",
                "Principal": {"Service": "pipes.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": pipe_arn, "aws:SourceAccount": account_id}
                },
            }
        ],
    }


def pipe_policy(
    *,
    stream_arn: str,
    queue_arn: str,
    dead_letter_arn: str | None,
    kms_key_arn: str | None = None,
) -> Policy:
    """A DynamoDB-stream → SQS pipe: read the stream, send to the queue (and DLQ)."""
    send_to = [queue_arn] + ([dead_letter_arn] if dead_letter_arn else [])
    statements: list[Policy] = [
        {
            "Sid": "ReadStream",
            "Effect": "Allow",
            "Action": list(STREAM_ACTIONS),
            "Resource": stream_arn,
        },
        {
            "Sid": "ListStreams",
            "Effect": "Allow",
            "Action": "dynamodb:ListStreams",
            "Resource": "*",
        },
        {"Sid": "SendToQueue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": send_to},
    ]
    if kms_key_arn is not None:
        statements.append(
            {
                "Sid": "EncryptForQueue",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": kms_key_arn,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def topic_policy(topic_arn: str, *, publisher_role_arn: str, enforce_tls: bool = True) -> Policy:
    """SNS topic policy: TLS only; only ``publisher_role_arn`` may publish.

    The explicit deny for every other principal makes "only" hold even for identities of
    this account whose IAM policies allow ``sns:Publish`` broadly.
    """
    statements: list[Policy] = []
    if enforce_tls:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    statements += [
        {
            "Sid": "DenyOtherPublishers",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": publisher_role_arn}},
        },
        {
            "Sid": "AllowPublisherRole",
            "Effect": "Allow",
            "Principal": {"AWS": publisher_role_arn},
            "Action": "sns:Publish",
            "Resource": topic_arn,
        },
    ]
    return {"Version": VERSION, "Statement": statements}


def external_user_trust(*, user_arn: str, external_id: str) -> Policy:
    """Trust for an external service's IAM user (e.g. Snowflake's) pinned to an external id."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ExternalServiceUser",
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def publish_policy(topic_arn: str, kms_key_arn: str | None = None) -> Policy:
    """Publish to one topic (+ the data-key calls a customer-managed topic key needs)."""
    statements: list[Policy] = [
        {"Sid": "PublishToTopic", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}
    ]
    if kms_key_arn is not None:
        statements.append(
            {
                "Sid": "EncryptForTopic",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": kms_key_arn,
            }
        )
    return {"Version": VERSION, "Statement": statements}
