"""errors: ``BlueprintError`` and ``is_token``, the pure-Python recogniser of framework tokens.

``is_token`` must answer exactly what the framework's own ``Token.is_unresolved`` answers
(cdktf or cdktn: this file runs in both suites) on real tokens (variables, resource
attributes, ``Fn`` calls, concatenations, the ``Token.as_*`` encodings) and on text, numbers
and lists that only look like them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metaflow_blueprints.errors import BlueprintError, is_token
from metaflow_blueprints.runtime import (
    App,
    Fn,
    TerraformStack,
    TerraformVariable,
    Token,
    provider_module,
)


def _real_tokens() -> list[Any]:
    stack = TerraformStack(App(), "tokens")
    text = TerraformVariable(stack, "text", type="string").string_value
    number = TerraformVariable(stack, "number", type="number").number_value
    listed = TerraformVariable(stack, "listed", type="list(string)").list_value
    queue = provider_module("aws", "sqs_queue").SqsQueue(stack, "queue")
    return [
        text, number, listed, f"a-{text}-b", text + queue.arn, queue.arn, queue.name,
        queue.delay_seconds, queue.tags_all, Fn.join(",", listed), Fn.lower(text),
        Fn.length_of(listed), Fn.tolist(listed), Token.as_string(number), Token.as_number(text),
        Token.as_list(text), Token.as_number_list(listed), Fn.element(listed, 0),
        f"arn:aws:sqs:{text}:123456789012:{queue.name}",
    ]  # fmt: skip


REAL = _real_tokens()
TEXTS = [t for t in REAL if isinstance(t, str)]
#: Pieces of token text, Terraform syntax and near misses.
PIECES = ["${", "#{", "&{", "}", "]}", "TfToken[", "TOKEN.", "Token[", "[", "]", "$", "{",
          "var.x", "0", "17", ":", ".", "_", "-", " ", "\n", "é", "a"]  # fmt: skip


def _mutated(text: str, op: int, piece: str, at: int) -> str:
    at %= len(text) + 1
    return [
        text[:at] + piece + text[at:],
        text[:at] + text[at + 1 :],
        text[:at] + piece + text[at + 1 :],
        text.upper(),
        text.replace("$", "#"),
    ][op % 5]


LOOKALIKE_TEXT = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.builds(
        _mutated, st.sampled_from(TEXTS), st.integers(0, 4), st.sampled_from(PIECES),
        st.integers(0, 99),
    ),
    st.text(max_size=20),
)
#: NaN and infinities are left out: jsii cannot send them to the kernel at all.
NUMBERS = st.one_of(
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([t for t in REAL if isinstance(t, float)]).map(lambda f: f * 1.0000001),
)
SCALARS = st.one_of(LOOKALIKE_TEXT, NUMBERS, st.sampled_from(REAL), st.none(), st.booleans())
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=2),
    st.dictionaries(
        st.one_of(LOOKALIKE_TEXT, st.sampled_from(TEXTS).map(lambda t: "&" + t[1:])),
        SCALARS,
        max_size=2,
    ),
)


def test_real_tokens_are_tokens() -> None:
    assert all(Token.is_unresolved(t) for t in REAL)
    assert all(is_token(t) for t in REAL), [t for t in REAL if not is_token(t)]


LOOKALIKES = [
    "${var.x}", "a${b", "${TfToken[TOKEN.1]", "$ {TfToken[TOKEN.1]}", "#{TfToken[TOKEN.1]}",
    ["${TfToken[TOKEN.1]}"], [], ["a", "b"], 5, -1.5, True, None, {"a": 1},
    {"${TfToken[TOKEN.1]}": 1},
]  # fmt: skip


@pytest.mark.parametrize("value", LOOKALIKES)
def test_lookalikes_are_no_tokens(value: Any) -> None:
    assert not Token.is_unresolved(value)
    assert not is_token(value)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=VALUES)
def test_is_token_agrees_with_the_framework(value: Any) -> None:
    assert is_token(value) == bool(Token.is_unresolved(value)), value


def test_blueprint_error_names_the_field_and_value() -> None:
    error = BlueprintError("event", "a b", "is not valid.", "Use 'a-b'.")
    assert (error.field, error.value) == ("event", "a b")
    assert str(error) == "event='a b': is not valid. Use 'a-b'."
