"""Two blueprints whose Kubernetes objects would share names fail at synth time, naming both
construct paths, before the second creates any resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import App, TerraformResource, TerraformStack, provider_module

ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE1"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE1"


def _stack() -> TerraformStack:
    stack = TerraformStack(App(), "test")
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "kubernetes")
    provider_module("random", "provider").RandomProvider(stack, "random")
    provider_module("aws", "provider").AwsProvider(stack, "aws", region="us-east-1")
    provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-ml")
    return stack


def _resources(scope: Any) -> list[str]:
    return [c.node.path for c in scope.node.find_all() if isinstance(c, TerraformResource)]


def _webhook(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow

    return WebhookToMetaflow(stack, id, metaflow=metaflow, event="data.updated", **kw)


def _s3(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.aws.identity import SqsConsumer
    from metaflow_blueprints.blueprints.s3 import S3ToMetaflow

    consumer = SqsConsumer.irsa(oidc_provider_arn=ARN, issuer=ISSUER)
    return S3ToMetaflow(stack, id, metaflow=metaflow, bucket_name="mfb-raw-bucket",
                        event="s3.new", consumer=consumer, **kw)  # fmt: skip


def _dynamodb(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.aws.identity import SqsConsumer
    from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow

    consumer = SqsConsumer.pod_identity(cluster_name="ml")
    return DynamoDbToMetaflow(stack, id, metaflow=metaflow, table_name="orders",
                              event="ddb.new", consumer=consumer, **kw)  # fmt: skip


def _pubsub(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow

    return PubSubToMetaflow(stack, id, metaflow=metaflow, event="ps.new", project="acme-ml",
                            topic_name="orders", **kw)  # fmt: skip


def _gcs(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.blueprints.gcs import GcsToMetaflow

    return GcsToMetaflow(stack, id, metaflow=metaflow, bucket_name="acme-raw", event="gcs.new",
                         project="acme-ml", **kw)  # fmt: skip


def _dbt(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow

    return DbtCloudToMetaflow(stack, id, metaflow=metaflow, event="dbt.done", account_id="1", **kw)


def _fivetran(stack: Any, id: str, metaflow: Any, **kw: Any) -> Any:
    from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow

    return FivetranToMetaflow(stack, id, metaflow=metaflow, event="ft.done", **kw)


BUILDERS = [_webhook, _s3, _dynamodb, _pubsub, _gcs, _dbt, _fivetran]
IDS = [b.__name__.strip("_") for b in BUILDERS]


@pytest.mark.parametrize("first", BUILDERS, ids=IDS)
@pytest.mark.parametrize(
    ("ids", "names"),
    [(("data_updated", "data-updated"), (None, None)), (("a", "b"), ("same", "same"))],
    ids=["ids", "name"],
)
def test_blueprints_resolving_to_one_name_are_refused(
    first: Callable[..., Any], ids: tuple[str, str], names: tuple[Any, Any]
) -> None:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    stack = _stack()
    metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
    one = first(stack, ids[0], metaflow, **({"name": names[0]} if names[0] else {}))
    before = _resources(stack)
    second = _webhook  # any blueprint: they all derive their objects from the same stem
    with pytest.raises(BlueprintError) as error:
        second(stack, ids[1], metaflow, **({"name": names[1]} if names[1] else {}))
    message = str(error.value)
    assert repr(one.node.path) in message and repr(f"test/{ids[1]}") in message, message
    assert _resources(stack) == before  # the second blueprint created nothing


def test_same_name_in_other_namespaces_is_fine() -> None:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    stack = _stack()
    _webhook(stack, "a", MetaflowEvents(stack, "m1", namespace="team-a"), name="same")
    _webhook(stack, "b", MetaflowEvents(stack, "m2", namespace="team-b"), name="same")


def test_same_namespace_through_two_metaflow_events_is_refused() -> None:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    stack = _stack()
    _webhook(stack, "a", MetaflowEvents(stack, "m1", namespace="team-a"), name="same")
    with pytest.raises(BlueprintError, match="'test/a' and 'test/b'"):
        _webhook(stack, "b", MetaflowEvents(stack, "m2", namespace="team-a"), name="same")


def test_each_stack_has_its_own_names() -> None:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    app = App()
    for stack_id in ("one", "two"):
        stack = TerraformStack(app, stack_id)
        _webhook(stack, "hook", MetaflowEvents(stack, "m"), name="same")


@pytest.mark.parametrize(
    ("kind", "build"),
    [
        ("Secret", lambda s, c: c.KubernetesSecret(s, "x2", name="taken", namespace="ns",
                                                     data={"a": "b"})),
        ("ServiceAccount", lambda s, c: c.KubernetesServiceAccount(s, "x2", name="taken",
                                                                     namespace="ns")),
        ("Role", lambda s, c: c.ConfigMapWriter(s, "x2", name="taken", namespace="ns")),
    ],
)  # fmt: skip
def test_kubernetes_objects_claim_their_names(kind: str, build: Any) -> None:
    from metaflow_blueprints.k8s import objects

    stack = _stack()
    first = {"Secret": lambda: objects.KubernetesSecret(stack, "x1", name="taken",
                                                          namespace="ns", data={"a": "b"}),
             "ServiceAccount": lambda: objects.KubernetesServiceAccount(
                 stack, "x1", name="taken", namespace="ns"),
             "Role": lambda: objects.ConfigMapWriter(stack, "x1", name="taken",
                                                     namespace="ns")}[kind]  # fmt: skip
    first()
    with pytest.raises(BlueprintError, match=f"{kind} ns/taken .*'test/x1' and 'test/x2'"):
        build(stack, objects)


def test_argo_objects_and_services_claim_their_names() -> None:
    from metaflow_blueprints.argo import EventSource, WebhookEvent
    from metaflow_blueprints.k8s.claims import claim
    from metaflow_blueprints.k8s.manifests import ArgoEventSource

    stack = _stack()
    source = EventSource(name="hooks", namespace="ns", events={"e": WebhookEvent(endpoint="/e")},
                         service_ports=(12000,))  # fmt: skip
    ArgoEventSource(stack, "es1", event_source=source)
    with pytest.raises(BlueprintError, match="EventSource ns/hooks"):
        ArgoEventSource(stack, "es2", event_source=source)
    with pytest.raises(BlueprintError, match="Service ns/hooks-eventsource-svc"):
        claim(stack, "Service", "ns", "hooks-eventsource-svc")


def test_token_names_are_not_claimed() -> None:
    from metaflow_blueprints.k8s.claims import claim
    from metaflow_blueprints.runtime import Construct, TerraformVariable

    stack = _stack()
    name = TerraformVariable(stack, "name", type="string").string_value
    namespace = TerraformVariable(stack, "namespace", type="string").string_value
    one, two = Construct(stack, "one"), Construct(stack, "two")
    for owner in (one, two):  # a token's value is unknown until plan: not claimed
        claim(owner, "Secret", "ns", name)
        claim(owner, "Secret", namespace, "fixed")
        claim(owner, "Secret", "ns", f"{name}-x")
    claim(one, "Secret", "ns", "${var.name}")  # text that looks like Terraform is a name
    with pytest.raises(BlueprintError, match="Secret ns/"):
        claim(two, "Secret", "ns", "${var.name}")
