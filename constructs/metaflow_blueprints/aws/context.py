"""Account, partition and region of a stack, read once per stack from data sources."""

from __future__ import annotations

from metaflow_blueprints.runtime import Construct, LibraryConstruct, provider_module

_ID = "mfb_aws_context"


class AwsContext(LibraryConstruct):
    """``data.aws_caller_identity``, ``data.aws_partition`` and ``data.aws_region``.

    Use :meth:`of` (one instance per stack). Attributes: ``account_id``, ``partition``,
    ``region`` (Terraform string tokens).
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        identity = provider_module("aws", "data_aws_caller_identity")
        partition = provider_module("aws", "data_aws_partition")
        region = provider_module("aws", "data_aws_region")
        self.account_id: str = identity.DataAwsCallerIdentity(self, "account").account_id
        self.partition: str = partition.DataAwsPartition(self, "partition").partition
        self.region: str = region.DataAwsRegion(self, "region").region

    @staticmethod
    def of(scope: Construct) -> AwsContext:
        return AwsContext.of_stack(scope, _ID)
