"""Bad input, systematically: every prop of every blueprint, given values of the wrong kind.

For each keyword prop (read from the constructor's signature, so a new prop is covered or
this test fails) the bad values come from a table keyed by the prop's annotation text.
Each must raise a ``BlueprintError`` naming the prop and showing the value, before any
resource exists: never a ``TypeError``, ``AttributeError`` or a jsii ``RuntimeError``.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.props import Param, signature_params
from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable, provider_module

NAN, INF = float("nan"), float("inf")
ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE1"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE1"

#: Annotation text -> values that are wrong for it whatever the prop means.
BAD: dict[str, list[Any]] = {
    "str": [None, 123, NAN, ["x"]],
    "str | None": [123, NAN, ["x"], b"bytes"],
    "int": [None, "5", 1.5, True, NAN],
    "bool": [None, "yes", 1],
    "Delivery": ["sns", None, 1],
    "Literal['LATEST', 'TRIM_HORIZON']": ["latest", None],
    "Literal['POST', 'GET']": ["PUT", None],
    "Literal['bearer'] | None": ["basic", 1],
    "Literal['sqs_managed', 'kms', 'none']": ["aes", None],
    "Encryption": ["aes", None],  # QueueSettings.encryption, the Literal above
    "Sequence[str]": [None, "abc", [1], [None]],
    "Sequence[str] | None": ["abc", [1], 5],
    "Sequence[EventName]": [None, "INSERT", ["UPSERT"], [1]],
    "Mapping[str, str] | None": [["a"], {"k": 1}, {1: "v"}, "k=v"],
    "Mapping[str, str | PayloadField] | None": [["a"], {"k": 1}, "k"],
    "Mapping[str, str | Sequence[str]] | None": [["a"], {"k": 1}, {"k": [1]}],
    "EventFilters | Sequence[Filter] | None": ["body.x", 5, [1]],
    "MetaflowEvents": [None, "metaflow", 1],
    "SqsConsumer": [None, "irsa", 1],
    "EventQueue | None": ["queue", 1],
    "RetryStrategy | None": ["5", 5],
    "SecretKeyRef | None": ["secret", 1],
    "WebhookIngress | None": ["hooks.example.com", 1],
    "RateLimit | None": [5, "10/minute"],
    "int | None": ["5", 1.5, True, NAN],
    "bool | None": ["yes", 1],
    "str | SecretKeyRef | None": [123, ["x"], b"bytes"],
    "Any": [],  # PubSubToMetaflow.topic: a Terraform topic resource (checked below)
}


def _stack() -> tuple[TerraformStack, Any]:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    stack = TerraformStack(App(), "test")
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "kubernetes")
    provider_module("random", "provider").RandomProvider(stack, "random")
    provider_module("aws", "provider").AwsProvider(stack, "aws", region="us-east-1")
    provider_module("google", "provider").GoogleProvider(stack, "google", project="acme-ml")
    return stack, MetaflowEvents(stack, "metaflow", namespace="metaflow")


def _blueprints() -> dict[str, tuple[type, Callable[[Any], dict[str, Any]]]]:
    from metaflow_blueprints.aws.identity import SqsConsumer
    from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
    from metaflow_blueprints.blueprints.dynamodb import DynamoDbToMetaflow
    from metaflow_blueprints.blueprints.fivetran import FivetranToMetaflow
    from metaflow_blueprints.blueprints.gcs import GcsToMetaflow
    from metaflow_blueprints.blueprints.pubsub import PubSubToMetaflow
    from metaflow_blueprints.blueprints.s3 import S3ToMetaflow
    from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow

    consumer = SqsConsumer.irsa(oidc_provider_arn=ARN, issuer=ISSUER)
    return {
        "webhook": (WebhookToMetaflow, lambda m: {"metaflow": m, "event": "data.updated"}),
        "s3": (S3ToMetaflow, lambda m: {"metaflow": m, "bucket_name": "mfb-raw",
                                        "event": "s3.new", "consumer": consumer}),
        "dynamodb": (DynamoDbToMetaflow, lambda m: {"metaflow": m, "table_name": "orders",
                                                    "event": "ddb.new", "consumer": consumer}),
        "pubsub": (PubSubToMetaflow, lambda m: {"metaflow": m, "event": "ps.new",
                                                "project": "acme-ml", "topic_name": "orders"}),
        "gcs": (GcsToMetaflow, lambda m: {"metaflow": m, "bucket_name": "acme-raw",
                                          "event": "gcs.new", "project": "acme-ml"}),
        "dbt": (DbtCloudToMetaflow, lambda m: {"metaflow": m, "event": "dbt.done",
                                               "account_id": "43786"}),
        "fivetran": (FivetranToMetaflow, lambda m: {"metaflow": m, "event": "ft.done"}),
    }  # fmt: skip


def _annotation_text(init: Callable[..., Any], param: Param) -> str:
    """The prop's annotation as written: in the signature, or in its prop group's
    ``TypedDict`` (``Required[...]`` unwrapped: required-ness is not a kind of value)."""
    if param.group is None:
        return str(inspect.signature(init).parameters[param.name].annotation)
    written = param.group.__annotations__[param.name]
    text = str(getattr(written, "__forward_arg__", written))
    if text.startswith("Required["):
        return text.removeprefix("Required[").removesuffix("]")
    return text


def _cases() -> Iterator[Any]:
    """Every keyword prop: the constructor's own and its prop group's members (flat keyword
    arguments too), as :func:`metaflow_blueprints.props.signature_params` lists them."""
    for key, (cls, _) in _blueprints().items():
        init = getattr(cls.__init__, "__wrapped__", cls.__init__)
        for param in signature_params(init):
            if param.name == "id":
                continue
            annotation = _annotation_text(init, param)
            where = f"{cls.__name__}.{param.name}"
            assert annotation in BAD, f"{where}: add bad values for {annotation}"
            for i, value in enumerate(BAD[annotation]):
                yield pytest.param(key, param.name, value, id=f"{key}-{param.name}-{i}")


def _resources(stack: TerraformStack) -> list[str]:
    """Resources in ``stack`` besides those of its ``MetaflowEvents`` (made by :func:`_stack`:
    the bridges' ServiceAccount and RBAC exist before any blueprint is tried)."""
    from metaflow_blueprints.runtime import TerraformResource

    own = f"{stack.node.path}/metaflow/"
    return [
        c.node.path
        for c in stack.node.find_all()
        if isinstance(c, TerraformResource) and not c.node.path.startswith(own)
    ]


_SERIAL = [0]


@functools.cache
def _shared_stack() -> tuple[TerraformStack, Any]:
    """One stack for all bad-value cases (each failed construct must leave it unchanged)."""
    return _stack()


def _same_value(shown: Any, value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return isinstance(shown, float) and math.isnan(shown)
    return bool(shown == value) or repr(value) in repr(shown)


@pytest.mark.parametrize(("blueprint", "prop", "value"), list(_cases()))
def test_wrong_kind_of_prop_value_is_a_blueprint_error(
    blueprint: str, prop: str, value: Any
) -> None:
    cls, minimal = _blueprints()[blueprint]
    stack, metaflow = _shared_stack()
    before = _resources(stack)
    _SERIAL[0] += 1
    with pytest.raises(BlueprintError) as error:
        cls(stack, f"bp{_SERIAL[0]}", **{**minimal(metaflow), prop: value})
    assert error.value.field.startswith(prop), str(error.value)
    assert _same_value(error.value.value, value) or prop in str(error.value)
    assert _resources(stack) == before


def test_the_cases_cover_prop_group_members() -> None:
    """Props taken through ``**props: Unpack[G]`` (``metaflow`` and ``event`` of every
    blueprint, the queue, subscription and endpoint options) are varied too."""
    covered = {(case.values[0], case.values[1]) for case in _cases()}
    for blueprint in _blueprints():
        assert {(blueprint, "metaflow"), (blueprint, "event"), (blueprint, "name")} <= covered
    assert {("s3", "encryption"), ("gcs", "ack_deadline_seconds"), ("dbt", "port")} <= covered


def test_every_blueprint_builds_with_its_minimal_props() -> None:
    """The baseline the bad-value cases vary: valid as given."""
    for cls, minimal in _blueprints().values():
        stack, metaflow = _stack()
        cls(stack, "bp", **minimal(metaflow))
        assert _resources(stack)


# --- the cases the README and the issue name ---------------------------------------------


def _raises(prop: str, build: Callable[[], Any]) -> BlueprintError:
    with pytest.raises(BlueprintError) as error:
        build()
    assert prop in error.value.field, str(error.value)
    return error.value


@pytest.mark.parametrize(
    ("prop", "kwargs"),
    [
        ("namespace", {"namespace": None}),
        ("namespace", {"namespace": 5}),
        ("event_bus", {"event_bus": None}),
        ("timeout_seconds", {"timeout_seconds": "10"}),
        ("timeout_seconds", {"timeout_seconds": NAN}),
        ("webhook_url", {"webhook_url": 8080}),
        ("retry", {"retry": {"steps": 3}}),
    ],
)
def test_metaflow_events_props(prop: str, kwargs: dict[str, Any]) -> None:
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    stack = TerraformStack(App(), "test")
    _raises(prop, lambda: MetaflowEvents(stack, "m", **kwargs))
    assert _resources(stack) == []


def test_irsa_without_values() -> None:
    from metaflow_blueprints.aws.identity import SqsConsumer

    _raises("oidc_provider_arn", lambda: SqsConsumer.irsa(None, None))  # type: ignore[arg-type]
    _raises("issuer", lambda: SqsConsumer.irsa(ARN, None))  # type: ignore[arg-type]
    _raises("cluster_name", lambda: SqsConsumer.pod_identity(cluster_name=None))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "issuer",
    [
        ISSUER + "/",  # a trailing slash: the trust condition key would never match
        "https://oidc.eks.us-east-1.amazonaws.com/id/OTHERCLUSTER",
        "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE1/extra",
        "http://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE1",
    ],
)
def test_irsa_issuer_must_be_the_providers_url(issuer: str) -> None:
    from metaflow_blueprints.aws.identity import SqsConsumer

    error = _raises("issuer", lambda: SqsConsumer.irsa(oidc_provider_arn=ARN, issuer=issuer))
    assert repr(issuer) in str(error)


def test_irsa_issuer_may_omit_the_scheme_or_be_a_token() -> None:
    from metaflow_blueprints.aws.identity import SqsConsumer

    SqsConsumer.irsa(oidc_provider_arn=ARN, issuer=ISSUER)
    SqsConsumer.irsa(oidc_provider_arn=ARN, issuer=ISSUER.removeprefix("https://"))
    stack = TerraformStack(App(), "irsa")
    arn, issuer = (TerraformVariable(stack, n, type="string").string_value for n in ("a", "i"))
    SqsConsumer.irsa(oidc_provider_arn=arn, issuer=issuer)
    for text in ("${var.arn}", "a${b"):  # Terraform-looking text is no token: checked
        with pytest.raises(BlueprintError, match="oidc_provider_arn"):
            SqsConsumer.irsa(oidc_provider_arn=text, issuer=ISSUER)


@pytest.mark.parametrize("value", [NAN, INF, -INF, {"x": [1, NAN]}])
def test_non_finite_constants_are_refused(value: Any) -> None:
    from metaflow_blueprints.metaflow import PayloadField

    _raises("PayloadField", lambda: PayloadField.constant(value))
    _raises("PayloadField", lambda: PayloadField.path("a.b", default=value))


@pytest.mark.parametrize("value", [NAN, INF, "5", True])
def test_non_finite_number_filters_are_refused(value: Any) -> None:
    from metaflow_blueprints.argo import DataFilter

    _raises("DataFilter.values", lambda: DataFilter.at("body.n").number().gt(value))


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("RetryStrategy.factor", {"factor": NAN}),
        ("RetryStrategy.jitter", {"jitter": NAN}),
        ("RetryStrategy.steps", {"steps": "5"}),
        ("RetryStrategy.duration", {"duration": 2}),
    ],
)
def test_retry_strategy_props(field: str, kwargs: dict[str, Any]) -> None:
    from metaflow_blueprints.argo import RetryStrategy

    _raises(field, lambda: RetryStrategy(**kwargs))


def test_gcs_custom_attributes_must_be_strings() -> None:
    cls, minimal = _blueprints()["gcs"]
    stack, metaflow = _stack()
    for bad in ({"team": 1}, {"team": None}, {2: "x"}):
        _raises(
            "custom_attributes",
            lambda bad=bad: cls(stack, f"g{len(str(bad))}", **minimal(metaflow),
                                custom_attributes=bad),
        )  # fmt: skip
    assert len(_resources(stack)) == 0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("WebhookIngress.host", {"host": None}),
        ("WebhookIngress.allowed_source_ranges", {"host": "h.example.com",
                                                  "allowed_source_ranges": "10.0.0.0/8"}),
        ("WebhookIngress.annotations", {"host": "h.example.com", "annotations": {"a": 1}}),
        ("WebhookIngress.tls_secret_name", {"host": "h.example.com", "tls_secret_name": 5}),
    ],
)  # fmt: skip
def test_webhook_ingress_props(field: str, kwargs: dict[str, Any]) -> None:
    from metaflow_blueprints.ingress.ingress import WebhookIngress

    _raises(field, lambda: WebhookIngress(**kwargs))


def test_pubsub_topic_must_be_a_topic_resource() -> None:
    cls, minimal = _blueprints()["pubsub"]
    stack, metaflow = _stack()
    kwargs = {k: v for k, v in minimal(metaflow).items() if k != "topic_name"}
    _raises("topic", lambda: cls(stack, "p", **kwargs, topic="orders"))
    assert _resources(stack) == []
