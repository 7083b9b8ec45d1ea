"""checks: check_each (a list of strings matching a pattern). Integer bounds are rules
(``rules.IntRange``, tested in tests/test_rules.py)."""

from __future__ import annotations

import pytest

from metaflow_blueprints.errors import BlueprintError


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
