"""argo.filters: data, expr and context filters, anchoring, filter sets, bad input (no cdktf)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metaflow_blueprints.argo import (
    ContextFilter,
    DataFilter,
    Dependency,
    EventFilters,
    ExprFilter,
    ScriptFilter,
    TimeFilter,
    Transform,
)
from metaflow_blueprints.argo.filters import anchored, regex_literal
from metaflow_blueprints.errors import BlueprintError


def test_string_equals_is_anchored_and_escaped() -> None:
    rendered = DataFilter.at("body.ref").string().equals("refs/heads/main").render()
    assert rendered == {"path": "body.ref", "type": "string", "value": ["^refs/heads/main$"]}
    dotted = DataFilter.at("body.file").string().equals("a.csv").render()
    assert dotted["value"] == ["^a[.]csv$"]
    assert re.match(dotted["value"][0], "a.csv") and not re.match(dotted["value"][0], "aXcsv")


def test_data_filter_has_one_spelling() -> None:
    """``DataFilter.at(p)`` builds; ``path`` is only the field Argo calls ``path``."""
    built = DataFilter.at("body.ref").string().equals("x")
    assert built == DataFilter("body.ref", "string", ("^x$",))
    assert built.path == "body.ref" and built.render()["path"] == "body.ref"
    assert "path" not in vars(DataFilter)  # no builder patched onto the frozen dataclass


def test_not_equals_uses_one_alternation_to_avoid_the_several_values_quirk() -> None:
    # Argo's `!=` with several values passes when the value differs from at least one of them.
    rendered = DataFilter.at("body.s").string().not_equals("a", "b").render()
    assert rendered == {
        "path": "body.s",
        "type": "string",
        "value": ["^(a|b)$"],
        "comparator": "!=",
    }


def test_prefix_suffix_number_bool_builders() -> None:
    assert DataFilter.at("k").string().starts_with("in/").render()["value"] == ["^(in/)"]
    assert DataFilter.at("k").string().ends_with(".csv").render()["value"] == ["([.]csv)$"]
    assert DataFilter.at("n").number().ge(10).render() == {
        "path": "n",
        "type": "number",
        "value": ["10"],
        "comparator": ">=",
    }
    assert DataFilter.at("b").bool().is_true().render()["value"] == ["true"]
    templated = DataFilter.at("body").with_template("{{ b64dec .Input }}").string().matches("x")
    assert templated.render()["template"] == "{{ b64dec .Input }}"


@given(st.text(min_size=1, max_size=30))
def test_regex_literal_matches_exactly_the_text(text: str) -> None:
    pattern = re.compile(anchored(text))
    assert pattern.match(text)
    # Only the rare \\, [, ], ^ need a backslash (cdktf's HCL output mangles backslashes).
    assert regex_literal(text).count("\\") == sum(text.count(c) for c in "[]^") + 2 * text.count(
        "\\"
    )


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: DataFilter("", "string", ("x",)), "DataFilter.path"),
        (lambda: DataFilter("data.body", "string", ("x",)), "DataFilter.path"),
        (lambda: DataFilter("p", "float", ("1",)), "DataFilter.type"),  # type: ignore[arg-type]
        (lambda: DataFilter("p", "string", ()), "DataFilter.values"),
        (lambda: DataFilter("p", "string", ("",)), "DataFilter.values"),
        (lambda: DataFilter("p", "number", ("ten",)), "DataFilter.values"),
        (lambda: DataFilter("p", "bool", ("yes",)), "DataFilter.values"),
        (lambda: DataFilter("p", "string", ("x",), ">"), "DataFilter.comparator"),
        (lambda: ExprFilter("", {"a": "b"}), "ExprFilter.expr"),
        (lambda: ExprFilter("a == 1", {}), "ExprFilter.fields"),
        (lambda: ExprFilter("a == 1", {"a-b": "x"}), "ExprFilter.fields"),
        (lambda: ContextFilter(), "ContextFilter"),
        (lambda: TimeFilter("25:00:00", "01:00:00"), "TimeFilter.start"),
        (lambda: TimeFilter("01:00:00", "01:00:00"), "TimeFilter.stop"),
        (lambda: ScriptFilter("x = 1"), "ScriptFilter.script"),
        (lambda: Transform(), "Transform"),
        (lambda: Transform(jq=".", script="return event"), "Transform"),
        (
            lambda: EventFilters.all([TimeFilter("01:00:00", "02:00:00")] * 2),
            "EventFilters.filters",
        ),
    ],
)
def test_filter_errors_name_the_field(build: object, field: str) -> None:
    with pytest.raises(BlueprintError) as error:
        build()  # type: ignore[operator]
    assert error.value.field == field
    assert field in str(error.value)


def test_any_sets_every_operator_to_or() -> None:
    filters = EventFilters.any(
        [
            DataFilter.at("a").string().equals("x"),
            ExprFilter.exists("b"),
            ContextFilter(type="webhook"),
        ]
    )
    dependency = Dependency("d", "es", "ev", filters=filters).render()
    assert dependency["filtersLogicalOperator"] == "or"
    assert dependency["filters"]["dataLogicalOperator"] == "or"
    assert dependency["filters"]["exprLogicalOperator"] == "or"
    assert dependency["filters"]["context"] == {"type": "webhook"}


def test_and_sets_combine_but_or_sets_do_not() -> None:
    a = EventFilters.all([ExprFilter.exists("a")])
    b = EventFilters.all([ExprFilter.exists("b")])
    assert len((a & b).filters) == 2
    with pytest.raises(BlueprintError, match="only 'and' sets"):
        _ = a & EventFilters.any([ExprFilter.exists("c")])


def test_bool_not_equals_is_rendered_as_equals_the_negation() -> None:
    """filter.go compares bools with == whatever the comparator: '!= true' must say false."""
    import datetime
    import json

    from metaflow_blueprints.argo import DataFilter as DF
    from metaflow_blueprints.replay import gojson
    from metaflow_blueprints.replay.events import Event
    from metaflow_blueprints.replay.filters import run_filters

    rendered = DF("body.ok", "bool", ("true",), "!=").render()
    assert rendered == {"path": "body.ok", "type": "bool", "value": ["false"]}
    for ok, passes in ((True, False), (False, True)):
        event = Event(id="1", source="s", subject="e", type="webhook",
                      time=datetime.datetime.now(datetime.timezone.utc),
                      data=gojson.loads(json.dumps({"body": {"ok": ok}})))
        outcome = run_filters(event, {"data": [rendered]}, None)
        assert outcome.passed is passes
    with pytest.raises(BlueprintError, match="all true or all false"):
        DF("body.ok", "bool", ("true", "false"), "!=")
