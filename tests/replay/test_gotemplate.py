"""replay.gotemplate against Go's own text/template + sprig, as Argo Events runs them.

The expected outputs in ``tests/data/go_template_cases.json`` were printed by a real Go
program (``tests/derive_go_template_cases.py``: Go 1.19 ``text/template`` with sprig 3.2.3,
the sprig version argo-events pins), executing each template the way argo-events'
``getValueWithTemplate`` (pkg/sensors/triggers/params.go) does:
``template.New("param").Funcs(sprig.FuncMap())`` with ``{"Input": <decoded JSON>}``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from metaflow_blueprints.replay import gojson, gotemplate
from metaflow_blueprints.replay.errors import UnsupportedConstruct
from tests.helpers import REPO

RECORDED = json.loads((REPO / "tests" / "data" / "go_template_cases.json").read_text())
CASES: list[dict[str, Any]] = RECORDED["cases"]


def _id(case: dict[str, Any]) -> str:
    return f"{case['template']} <- {case['input']}"


def _run(case: dict[str, Any]) -> str:
    # json.Unmarshal into interface{}: every number is a float64.
    return gotemplate.execute(case["template"], gojson.as_go_floats(json.loads(case["input"])))


def test_the_recording_covers_outputs_and_errors() -> None:
    assert "text/template + sprig 3.2.3" in RECORDED["engine"]
    assert sum(c["error"] is None for c in CASES) > 80
    assert sum(c["error"] is not None for c in CASES) > 10


@pytest.mark.parametrize("case", [c for c in CASES if c["error"] is None], ids=_id)
def test_output_is_what_go_prints(case: dict[str, Any]) -> None:
    assert _run(case) == case["output"]


@pytest.mark.parametrize("case", [c for c in CASES if c["error"] is not None], ids=_id)
def test_go_errors_are_template_errors_with_gos_reason(case: dict[str, Any]) -> None:
    with pytest.raises(gotemplate.TemplateError) as error:
        _run(case)
    # Go's message adds the template name and position ("template: param:1:9: executing
    # ... at <.Input>: "); the reason after it is ours too.
    assert str(error.value).removeprefix("template: ") in case["error"]


def test_a_data_filter_template_gets_the_path_result_as_a_string() -> None:
    """filter.go runs a data filter's ``template`` on the *string* form of the path result."""
    assert gotemplate.execute("{{ b64dec .Input }}", "eyJzdGF0dXMiOiAicmVhZHkifQ==") == (
        '{"status": "ready"}'
    )


@pytest.mark.parametrize(
    ("template", "construct"),
    [
        ("{{ range .Input }}x{{ end }}", "range"),
        ("{{ with .Input }}x{{ end }}", "with"),
        ("{{ $x := .Input }}{{ $x }}", "variable"),
        ("{{ $x }}", "variable"),
        ('{{ define "t" }}x{{ end }}', "define"),
        ("{{ trimAll \"a\" .Input }}", "trimAll"),
        ("{{ 'a' }}", "character constant"),
        ('{{ printf "%x" .Input }}', "%x"),
    ],
)
def test_what_go_runs_but_replay_does_not_is_named(template: str, construct: str) -> None:
    """Go executes these; replay refuses them by name instead of guessing (module docstring)."""
    with pytest.raises(UnsupportedConstruct, match=construct):
        gotemplate.execute(template, ["a"])
