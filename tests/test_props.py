"""props: type checks before creation, and prop groups taken as flat keyword arguments."""

from __future__ import annotations

from typing import Literal, TypedDict, Unpack

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.props import REQUIRED, checked, group_values, prop_group, signature_params


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

