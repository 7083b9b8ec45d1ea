"""checks.check_int_range: the one integer-range check (bounds, kinds, tokens, message)."""

from __future__ import annotations

import pytest

from metaflow_blueprints.checks import check_int_range
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable


@pytest.mark.parametrize("value", [10, 11, 600])
def test_values_within_the_bounds_pass(value: int) -> None:
    check_int_range("ack_deadline_seconds", value, 10, 600)


@pytest.mark.parametrize("value", [9, 601, -1, True, False, 10.0, "10", None])
def test_anything_else_is_refused_naming_the_prop_and_value(value: object) -> None:
    with pytest.raises(BlueprintError) as error:
        check_int_range("ack_deadline_seconds", value, 10, 600, unit=" s")
    assert error.value.field == "ack_deadline_seconds"
    assert error.value.value == value
    assert "must be an integer within 10-600 s." in str(error.value)


def test_without_an_upper_bound_only_the_lower_one_counts() -> None:
    check_int_range("verifier_replicas", 10**9, 1)
    with pytest.raises(BlueprintError, match=r"of at least 1 \(a byte count\)\."):
        check_int_range("max_payload_size", 0, 1, why="a byte count")


def test_terraform_tokens_are_not_checked() -> None:
    """Design rule 7: a token's value is known at plan time only (Terraform validates it)."""
    stack = TerraformStack(App(), "checks")
    number = TerraformVariable(stack, "n", type="number").number_value
    text = TerraformVariable(stack, "s", type="string").string_value
    check_int_range("batch_size", number, 1, 10)
    check_int_range("batch_size", text, 1, 10)
