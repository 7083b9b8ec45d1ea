"""RE2 (google-re2, the C++ library behind Go's regexp syntax) judges every regex we emit
or accept: sensor data filters, module ``validation`` regexes, the committed modules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import re2

from metaflow_blueprints.argo import DataFilter
from metaflow_blueprints.argo.regex import re2_error
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.export import registry
from metaflow_blueprints.replay.stack import manifests
from metaflow_blueprints.rules import Rule
from tests.helpers import synth
from tests.test_gojq import _aws_variants, _gcp_variants, _vendor_variants, _webhook_variants

REPO = Path(__file__).resolve().parents[1]
NOT_RE2 = ["^a(?=b)", "(?<!x)y", r"(a)\1", "a{1001}", r"\Z", "(", "[z-a]", "a**"]


def _compiles(pattern: str) -> bool:
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error:
        return False
    return True


def sensor_regexes(stack: dict[str, Any]) -> Iterator[str]:
    for sensor in manifests(stack, "Sensor"):
        for dep in sensor["spec"]["dependencies"]:
            for item in (dep.get("filters") or {}).get("data") or []:
                if item["type"] == "string":
                    yield from item["value"]


def test_every_sensor_regex_of_the_reference_stacks_is_re2(
    reference_stacks: dict[str, dict[str, Any]],
) -> None:
    found = [p for stack in reference_stacks.values() for p in sensor_regexes(stack)]
    assert len(found) >= 5
    assert [p for p in found if not _compiles(p)] == []


@pytest.mark.parametrize(
    "build", [_webhook_variants, _aws_variants, _gcp_variants, _vendor_variants],
    ids=lambda f: f.__name__.strip("_"),
)  # fmt: skip
def test_every_sensor_regex_of_the_feature_variants_is_re2(build: Any) -> None:
    found = list(sensor_regexes(synth(build)))
    assert [p for p in found if not _compiles(p)] == []


def test_every_module_validation_regex_is_re2() -> None:
    patterns = [
        rule.pattern
        for name in registry.names()
        for item in registry.get(name).inputs
        for rule in item.validations
        if rule.pattern is not None
    ]
    assert len(patterns) >= 10
    assert [p for p in patterns if not _compiles(p)] == []


def test_every_regex_in_the_committed_modules_is_re2() -> None:
    """``can(regex("...", var.x))`` as written in modules/*/main.tf, HCL escapes undone."""
    found = []
    for module in sorted((REPO / "modules").glob("*/main.tf")):
        for literal in re.findall(r'regex\("((?:[^"\\]|\\.)*)",', module.read_text()):
            found.append(re.sub(r"\\(.)", r"\1", literal))
    assert len(found) >= 10
    assert [p for p in found if not _compiles(p)] == []


@pytest.mark.parametrize("pattern", NOT_RE2)
def test_non_re2_filter_regex_is_refused(pattern: str) -> None:
    assert re2_error(pattern)
    with pytest.raises(BlueprintError) as error:
        DataFilter.at("body.x").string().matches(pattern)
    assert error.value.field == "DataFilter.values" and repr(pattern) in str(error.value)


def test_python_only_regex_is_refused_although_python_accepts_it() -> None:
    re.compile("^a(?=b)")  # Python's re would have let it through
    with pytest.raises(BlueprintError, match="not an RE2"):
        DataFilter.at("body.x").string().matches("^a(?=b)")


def test_non_re2_filter_is_refused_before_any_resource() -> None:
    from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    def build(stack: Any) -> None:
        metaflow = MetaflowEvents(stack, "metaflow")
        WebhookToMetaflow(
            stack, "hook", metaflow=metaflow, event="data.updated",
            filters=[DataFilter("body.x", "string", ("(a)\\1",))],
        )  # fmt: skip

    with pytest.raises(BlueprintError, match="RE2"):
        synth(build)


def test_literal_prefixes_with_metacharacters_stay_re2() -> None:
    built = DataFilter.at("key").string().starts_with("a(b", "c[d]", "e\\f", "g{2}")
    (pattern,) = built.values
    assert _compiles(pattern)
    assert re2.search(pattern, "c[d]/x") and not re2.search(pattern, "cd/x")


@pytest.mark.parametrize("pattern", NOT_RE2)
def test_module_validation_refuses_non_re2(pattern: str) -> None:
    with pytest.raises(ValueError, match="not RE2"):
        Rule(message="m", pattern=pattern)
