"""Hand-made cases for each filter rule, including the documented upstream quirks."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from metaflow_blueprints.replay.errors import UnsupportedConstruct
from metaflow_blueprints.replay.events import Event
from metaflow_blueprints.replay.filters import run_filters
from metaflow_blueprints.replay.gojson import loads

T = datetime(2025, 1, 15, 10, 20, 31, tzinfo=timezone.utc)


def event(data: Any) -> Event:
    import json
    return Event(id="i", source="webhook", subject="example", type="webhook", time=T,
                 data=loads(json.dumps(data)))


def data_filter(path: str, ftype: str, values: list[str], comparator: str = "",
                template: str = "") -> dict[str, Any]:
    f: dict[str, Any] = {"path": path, "type": ftype, "value": values}
    if comparator:
        f["comparator"] = comparator
    if template:
        f["template"] = template
    return f


def passes(data: Any, filters: dict[str, Any], op: str | None = None) -> bool:
    return run_filters(event(data), filters, op).passed


@pytest.mark.parametrize(("value", "patterns", "comparator", "expected"), [
    ("unlabeled", ["labeled"], "", True),         # unanchored: labeled matches unlabeled (#1515)
    ("unlabeled", ["^labeled$"], "", False),      # anchored equality
    ("main", ["^main$"], "", True),
    ("main\n", ["^main$"], "", False),            # RE2 $ is end of text (not before \n)
    ("a", ["a", "b"], "!=", True),                # != with several values: differs from b (#3215)
    ("a", ["a"], "!=", False),
    ("x", ["a", "b"], "!=", True),
    ("refs/tags/v1", ["^refs/heads/"], "", False),
    ("ABC", ["(?i)abc"], "", True),
    ("a1", ["[[:digit:]]"], "", True),
])
def test_string_filters(value: str, patterns: list[str], comparator: str, expected: bool) -> None:
    assert passes({"v": value}, {"data": [data_filter("v", "string", patterns, comparator)]}) \
        is expected


@pytest.mark.parametrize(("value", "comparator", "want", "expected"), [
    (10, "", "10", True),
    (10, "=", "10.0", True),
    (10, ">", "9.5", True),
    (10, ">=", "10", True),
    (10, "<", "10", False),
    (10, "<=", "10", True),
    (10, "!=", "10", False),
    ("12", ">", "11", True),      # gjson Float() coerces numeric strings
    ("abc", "=", "0", True),      # ...and non-numeric strings to 0
    (True, "=", "1", True),       # true -> 1
    (None, "=", "0", True),       # null -> 0
])
def test_number_filters(value: Any, comparator: str, want: str, expected: bool) -> None:
    f = data_filter("v", "number", [want], comparator)
    assert passes({"v": value}, {"data": [f]}) is expected


def test_number_filter_bad_value_is_an_error() -> None:
    outcome = run_filters(event({"v": 1}), {"data": [data_filter("v", "number", ["one"])]}, None)
    assert not outcome.passed and outcome.error and "ParseFloat" in outcome.error


@pytest.mark.parametrize(("value", "want", "expected"), [
    (True, "true", True), (True, "t", True), (True, "1", True), (False, "F", True),
    ("true", "TRUE", True),  # string values go through ParseBool(lower(s))
    (1, "true", True),       # numbers: != 0
    (False, "true", False),
])
def test_bool_filters(value: Any, want: str, expected: bool) -> None:
    assert passes({"v": value}, {"data": [data_filter("v", "bool", [want])]}) is expected


def test_bool_filter_rejects_yes() -> None:
    outcome = run_filters(event({"v": True}), {"data": [data_filter("v", "bool", ["yes"])]}, None)
    assert not outcome.passed and outcome.error and "ParseBool" in outcome.error


def test_template_before_comparison() -> None:
    import base64
    encoded = base64.b64encode(b"hello world").decode()
    f = data_filter("body", "string", ["^hello world$"], template="{{ b64dec .Input }}")
    assert passes({"body": encoded}, {"data": [f]})
    upper = data_filter("body", "string", ["^HELLO$"], template="{{ .Input | upper }}")
    assert passes({"body": "hello"}, {"data": [upper]})


def test_template_empty_output_is_an_error() -> None:
    f = data_filter("v", "string", ["x"], template="{{ if false }}x{{ end }}")
    outcome = run_filters(event({"v": "a"}), {"data": [f]}, None)
    assert not outcome.passed and outcome.error and "empty string" in outcome.error


def test_unsupported_template_function_is_loud() -> None:
    f = data_filter("v", "string", ["x"], template="{{ .Input | trunc 3 }}")
    with pytest.raises(UnsupportedConstruct, match="trunc"):
        run_filters(event({"v": "abcd"}), {"data": [f]}, None)


def test_missing_path_fails_in_and_mode_and_counts_false_in_or_mode() -> None:
    missing = data_filter("nope", "string", ["x"])
    present = data_filter("v", "string", ["^a$"])
    outcome = run_filters(event({"v": "a"}), {"data": [missing, present]}, None)
    assert not outcome.passed and "path 'nope' does not exist" in (outcome.error or "")
    # dataLogicalOperator or: the error counts as false, the other filter passes
    assert passes({"v": "a"}, {"data": [missing, present], "dataLogicalOperator": "or"})
    # filtersLogicalOperator or: an erroring kind counts as false, another kind passes
    filters = {"data": [missing], "exprs": [{"expr": "v == 'a'",
                                             "fields": [{"name": "v", "path": "v"}]}]}
    outcome = run_filters(event({"v": "a"}), filters, "or")
    assert outcome.passed and outcome.error  # "passed but with filtering error"
    assert not passes({"v": "a"}, filters, None)


def test_expr_filters() -> None:
    def expr(e: str, **fields: str) -> dict[str, Any]:
        return {"exprs": [{"expr": e, "fields": [{"name": k, "path": p}
                                                  for k, p in fields.items()]}]}
    data = {"body": {"n": 10, "s": "refs/heads/main", "b": False}}
    assert passes(data, expr("n >= 10 && n < 11", n="body.n"))
    assert passes(data, expr("s =~ '^refs/heads/'", s="body.s"))
    assert passes(data, expr("s !~ 'tags'", s="body.s"))
    assert passes(data, expr("!b", b="body.b"))
    assert passes(data, expr("true == true", f="body.s"))     # presence check
    assert not passes(data, expr("true == true", f="body.x"))  # missing path -> error
    assert not passes(data, expr("n == '10'", n="body.n"))   # DeepEqual: float64 != string
    # a type error (string ordering vs number) is an error -> fails in and mode
    outcome = run_filters(event(data), expr("s > 3", s="body.s"), None)
    assert not outcome.passed and outcome.error


def test_expr_or_mode_errors_count_as_false() -> None:
    filters = {"exprLogicalOperator": "or", "exprs": [
        {"expr": "x == 1", "fields": [{"name": "x", "path": "missing"}]},
        {"expr": "y == 2", "fields": [{"name": "y", "path": "y"}]},
    ]}
    assert passes({"y": 2}, filters)
    assert not passes({"y": 3}, filters)


def test_unsupported_govaluate_syntax_is_loud() -> None:
    filters = {"exprs": [{"expr": "x in (1, 2)", "fields": [{"name": "x", "path": "x"}]}]}
    with pytest.raises(UnsupportedConstruct):
        run_filters(event({"x": 1}), filters, None)


def test_context_filter_exact_equality() -> None:
    assert passes({}, {"context": {"type": "webhook", "subject": "example"}})
    assert not passes({}, {"context": {"source": "webhoo"}})  # exact, not a regex


def test_script_filter_error_fails_even_in_or_mode() -> None:
    filters = {"script": "return event.nope.x", "exprs": [
        {"expr": "true == true", "fields": [{"name": "f", "path": "v"}]}]}
    outcome = run_filters(event({"v": 1}), filters, "or")
    assert not outcome.passed and outcome.error


def test_script_filter_must_return_true() -> None:
    assert passes({"v": 1}, {"script": "return event.v == 1"})
    assert not passes({"v": 1}, {"script": "return 1"})
