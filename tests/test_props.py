"""props: type checks before creation, and prop groups taken as flat keyword arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Literal, Required, TypedDict, Unpack

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.props import (
    REQUIRED,
    checked,
    group_defaults,
    group_values,
    param_docs,
    prop_group,
    signature_params,
)
from tests.helpers import REPO


@prop_group({"retries": 5, "mode": "a"})
class Retry(TypedDict, total=False):
    retries: int
    mode: Literal["a", "b"]


class Blueprint:
    @checked
    def __init__(
        self, scope: object, id: str, *, name: str, size: int = 1, **retry: Unpack[Retry]
    ) -> None:
        self.retry = group_values(Retry, retry)


def test_group_members_are_flat_keywords_with_their_defaults() -> None:
    assert Blueprint(None, "x", name="n", retries=3).retry == {"retries": 3, "mode": "a"}
    assert Blueprint(None, "x", name="n").retry == {"retries": 5, "mode": "a"}


@pytest.mark.parametrize(
    ("kwargs", "prop", "message"),
    [
        ({"retries": "3"}, "retries", "must be an integer"),
        ({"mode": "c"}, "mode", "must be one of 'a', 'b'"),
        ({"retrys": 3}, "retrys", "is not a prop of Blueprint"),
        ({"size": True}, "size", "must be an integer"),
    ],
)
def test_bad_members_and_unknown_keywords_are_refused(
    kwargs: dict[str, object], prop: str, message: str
) -> None:
    with pytest.raises(BlueprintError, match=message) as caught:
        Blueprint(None, "x", name="n", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == prop


def test_signature_params_expand_groups_in_signature_order() -> None:
    params = signature_params(Blueprint.__init__)
    assert [(p.name, p.default, p.group) for p in params] == [
        ("id", REQUIRED, None),
        ("name", REQUIRED, None),
        ("size", 1, None),
        ("retries", 5, Retry),
        ("mode", "a", Retry),
    ]
    assert params[3].hint is int


def test_a_group_needs_a_default_for_every_member() -> None:
    class Partial(TypedDict, total=False):
        a: int
        b: int

    with pytest.raises(ValueError, match="Partial"):
        prop_group({"a": 1})(Partial)



# --- required members -------------------------------------------------------------------


@prop_group({"label": None})
class Source(TypedDict, total=False):
    """:param target: where events go.
    :param label: a label. Default: none.
    """

    target: Required[str]
    label: str | None


@prop_group(group_defaults(Source, Retry))
class SourceWithRetry(Source, Retry, total=False):
    """The members of both."""


class Consumer:
    """:param size: batch size. Default 1."""

    created = 0

    @checked
    def __init__(
        self, scope: object, id: str, *, size: int = 1, **props: Unpack[SourceWithRetry]
    ) -> None:
        Consumer.created += 1
        self.values = group_values(SourceWithRetry, props)


def test_a_required_member_is_listed_as_required_in_declaration_order() -> None:
    params = signature_params(Consumer.__init__)
    assert [(p.name, p.default, p.group) for p in params] == [
        ("id", REQUIRED, None),
        ("size", 1, None),
        ("target", REQUIRED, SourceWithRetry),
        ("label", None, SourceWithRetry),
        ("retries", 5, SourceWithRetry),
        ("mode", "a", SourceWithRetry),
    ]
    assert params[2].hint is str  # Required[...] unwrapped
    assert param_docs(Consumer)["target"] == "where events go."


def test_group_values_fill_in_the_optional_members_only() -> None:
    assert Consumer(None, "x", target="t", retries=2).values == {
        "target": "t",
        "label": None,
        "retries": 2,
        "mode": "a",
    }


@pytest.mark.parametrize(
    ("kwargs", "prop", "value", "message"),
    [
        ({}, "target", None, "is required by Consumer"),
        ({"label": "l", "size": 2}, "target", None, "is required by Consumer"),
        ({"target": 3}, "target", 3, "must be a string"),
        ({"target": "t", "labels": "l"}, "labels", "l", "is not a prop of Consumer"),
        ({"target": "t", "retries": "3"}, "retries", "3", "must be an integer"),
    ],
)
def test_a_missing_required_member_is_refused_before_anything_is_created(
    kwargs: dict[str, object], prop: str, value: object, message: str
) -> None:
    before = Consumer.created
    with pytest.raises(BlueprintError, match=message) as caught:
        Consumer(None, "x", **kwargs)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == (prop, value)
    assert Consumer.created == before


def test_a_required_member_takes_no_default() -> None:
    class Defaulted(TypedDict, total=False):
        a: Required[int]
        b: int

    with pytest.raises(ValueError, match=r"\['a'\] are required"):
        prop_group({"a": 1, "b": 2})(Defaulted)
    with pytest.raises(ValueError, match="Defaulted"):
        prop_group({})(Defaulted)  # b is optional: it needs one
    assert prop_group({"b": 2})(Defaulted) is Defaulted


def test_type_checkers_see_the_group_members_of_a_blueprint(tmp_path: Path) -> None:
    """mypy --strict reads ``**props: Unpack[G]``: a call without a required member (the
    blueprint's ``event``), a member of the wrong type and an unknown keyword fail type
    checking; group members (``encryption``, ``name``) and own props are accepted."""
    calls = tmp_path / "calls.py"
    calls.write_text(
        "from metaflow_blueprints.aws.identity import SqsConsumer\n"
        "from metaflow_blueprints.blueprints.s3 import S3ToMetaflow\n"
        "from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow\n"
        "from metaflow_blueprints.metaflow_events import MetaflowEvents\n"
        "from metaflow_blueprints.runtime import App, TerraformStack\n"
        "stack = TerraformStack(App(), 's')\n"
        "mf = MetaflowEvents(stack, 'metaflow', namespace='metaflow')\n"
        "consumer = SqsConsumer.irsa(oidc_provider_arn='arn', issuer='https://x')\n"
        "WebhookToMetaflow(stack, 'ok', metaflow=mf, event='a.b', port=8080, name='ok')\n"
        "S3ToMetaflow(stack, 's3', metaflow=mf, event='a.b', bucket_name='b',\n"
        "             consumer=consumer, encryption='kms')\n"
        "WebhookToMetaflow(stack, 'no_event', metaflow=mf)\n"
        "S3ToMetaflow(stack, 'no_metaflow', event='a.b', bucket_name='b', consumer=consumer)\n"
        "WebhookToMetaflow(stack, 'bad_type', metaflow=mf, event=3)\n"
        "WebhookToMetaflow(stack, 'unknown', metaflow=mf, event='a.b', nmae='x')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), str(calls)],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=600,
    )
    errors = sorted(
        (int(line.split(":")[1]), line.split(": error: ")[1])
        for line in result.stdout.splitlines()
        if ": error: " in line
    )
    assert errors == [
        (12, 'Missing named argument "event" for "WebhookToMetaflow"  [call-arg]'),
        (13, 'Missing named argument "metaflow" for "S3ToMetaflow"  [call-arg]'),
        (14, 'Argument "event" to "WebhookToMetaflow" has incompatible type "int"; '
             'expected "str"  [arg-type]'),
        (15, 'Unexpected keyword argument "nmae" for "WebhookToMetaflow"  [call-arg]'),
    ], result.stdout + result.stderr
