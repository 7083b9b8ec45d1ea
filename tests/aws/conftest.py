"""Fixtures of the AWS blueprint tests: the reference stack synthesized once per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from metaflow_blueprints.aws.identity import SqsConsumer
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import App, provider_module, synth_stack
from stacks import settings as settings_module

IRSA = SqsConsumer.irsa(
    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    issuer="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
)


@pytest.fixture(scope="session")
def aws_stack() -> dict[str, Any]:
    """The reference ``aws`` stack's Terraform JSON."""
    from stacks.aws import AwsStack

    app = App()
    stack = AwsStack(app, "aws", settings_module.load())
    return synth_stack(stack)


def with_aws(build: Callable[[Any, MetaflowEvents], None]) -> Callable[[Any], None]:
    """Wrap ``build(stack, metaflow)`` for ``tests.helpers.synth``: AWS provider + Metaflow."""

    def wrapped(stack: Any) -> None:
        provider_module("aws", "provider").AwsProvider(stack, "aws", region="us-east-1")
        build(stack, MetaflowEvents(stack, "metaflow", namespace="metaflow"))

    return wrapped
