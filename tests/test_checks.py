"""checks: check_int_range (the one integer-range check: bounds, kinds, tokens, message) and
check_each (a list of strings matching a pattern)."""

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


def test_check_each_refuses_a_string_and_bad_items_and_skips_tokens() -> None:
    import re

    from metaflow_blueprints.checks import check_each
    from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable

    digits = re.compile(r"^[0-9]+$")
    assert check_each("ids", ["1", "22"], digits, "is not a number.") == ("1", "22")
    with pytest.raises(BlueprintError) as caught:
        check_each("ids", "1", digits, "is not a number.")
    assert (caught.value.field, caught.value.value) == ("ids", "1")
    with pytest.raises(BlueprintError, match="is not a number") as caught:
        check_each("ids", ["1", "x1"], digits, "is not a number.")
    assert caught.value.value == "x1"
    stack = TerraformStack(App(), "s")
    listed = TerraformVariable(stack, "ids", type="list(string)").list_value
    one = TerraformVariable(stack, "id", type="string").string_value
    assert check_each("ids", listed, digits, "is not a number.") == tuple(listed)
    assert check_each("ids", [one, "7"], digits, "is not a number.") == (one, "7")
