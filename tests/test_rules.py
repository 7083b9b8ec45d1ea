"""One source for every validation (``metaflow_blueprints/rules.py``), judged by real engines.

* Modules vs constructs: for every validated module variable, generated values (valid,
  near-valid, unicode, boundary lengths, random) are accepted by the generated module's
  ``validation`` conditions, evaluated by the Terraform CLI (``terraform console``, no
  provider, offline), exactly when the construct's rule accepts them in RE2 (``google-re2``,
  what the constructs run). Where a module is stricter than the construct, everything it
  accepts the construct accepts too.
* The constructs really check with those rules: each module input's bad values make the
  blueprint itself raise a ``BlueprintError`` naming the prop, before any resource.
* No other file of the package spells a rule's pattern or message.
"""

from __future__ import annotations

import ast
import json
import re
import typing
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from metaflow_blueprints import rules
from metaflow_blueprints.errors import BlueprintError, is_token
from metaflow_blueprints.export import derive, registry
from metaflow_blueprints.export.spec import Input
from metaflow_blueprints.props import REQUIRED
from metaflow_blueprints.rules import Rule
from tests import terraform

PACKAGE = Path(rules.__file__).parent

# --- generated values ----------------------------------------------------------------------

#: Characters that break rules in instructive ways: separators, case, control characters,
#: what a pattern or JSON string would interpret, non-ASCII letters and digits, combining
#: marks (Terraform normalizes to NFC), a Kelvin sign (case-folds to 'k'), an emoji.
ODD = [
    *" ._-/:*\"\\$%{}A\n\t\x00\x7f\xe9\xfc\u0130\u017f\u212a\u0663\u0301\U0001f642",
    *("goog", "projects/", "//", ".."),
]
#: Text that looks like Terraform or like a framework token but is neither: a construct
#: checks it like any value (only real tokens skip a check), as the module's validation does.
LOOKALIKES = ["${var.x}", "a${b", "${", "%{if x}", "${TfToken[TOKEN.1]", "#{TfToken[TOKEN.2]}",
              "$${var.x}"]  # fmt: skip


def _resize(value: str, size: int) -> str:
    filler = value[-1:] or "a"
    return value[:size] if size <= len(value) else value + filler * (size - len(value))


def _mutate(value: str, op: int, char: str, at: int) -> str:
    at = at % (len(value) + 1)
    return [
        value[:at] + char + value[at:],  # insert
        value[:at] + value[at + 1 :],  # delete
        value[:at] + char + value[at + 1 :],  # replace
        value.upper(),
        value + "\n",
        char + value,
        value + char,
        value * 2,
    ][op % 8]


def _bounds(rule_list: Iterable[Rule]) -> set[int]:
    """Every length a rule states (quantifier bounds, max_length), and its neighbours."""
    sizes = set()
    for rule in rule_list:
        quantifiers = re.findall(r"\{(\d+)(?:,(\d*))?\}", rule.pattern or "")
        numbers = [int(bound) for pair in quantifiers for bound in pair if bound]
        numbers += [rule.max_length] if rule.max_length else []
        for n in numbers:
            sizes |= {n - 1, n, n + 1, n + 2, n + 3}
    return {n for n in sizes if 0 <= n <= 300}


def matching(rule_list: tuple[Rule, ...]) -> st.SearchStrategy[str]:
    """Strings matching one of the patterns, or all of them (mostly valid, not always)."""
    from_patterns = [st.from_regex(r.pattern) for r in rule_list if r.pattern]
    # Unanchored rules (``:dynamodb:`` and ``/stream/``) are met together by a concatenation.
    joined = st.tuples(*from_patterns).map("".join)
    return st.one_of(*from_patterns, joined)


def accepted_example(rule_list: tuple[Rule, ...]) -> str:
    """One value every rule accepts (found by Hypothesis), so each batch has one."""
    return find(
        matching(rule_list).filter(lambda v: rules.accepts(rule_list, v)),
        lambda v: True,
        settings=settings(  # the first one found: no shrinking
            max_examples=500, database=None, phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )


def _elements(rule_list: tuple[rules.AnyRule, ...]) -> tuple[Rule, ...] | None:
    """The element rules of a list input's validations (None: a string input)."""
    if not all(isinstance(rule, rules.Each) for rule in rule_list):
        return None
    return tuple(rule.rule for rule in rule_list if isinstance(rule, rules.Each))


def list_values_for(rule_list: tuple[rules.AnyRule, ...]) -> st.SearchStrategy[list[Any]]:
    """Lists for a list input: each generated element alone, after a valid one, all together,
    and the empty list."""
    elements = _elements(rule_list)
    assert elements
    seed = accepted_example(elements)
    return values_for(elements, seed).map(
        lambda items: [[v] for v in items] + [[seed, v] for v in items[:4]] + [[], items]
    )


def _nfc(value: Any) -> Any:
    """Terraform stores text in NFC: what a module (and the construct behind it) sees."""
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return unicodedata.normalize("NFC", value)


def values_for(rule_list: tuple[Rule, ...], seed: str) -> st.SearchStrategy[list[str]]:
    """Valid, near-valid, boundary-length, forbidden and arbitrary values for these rules."""
    valid = matching(rule_list)
    near = st.builds(
        _mutate, valid, st.integers(0, 7), st.sampled_from(ODD + LOOKALIKES), st.integers(0, 99)
    )
    sized = st.builds(_resize, valid, st.sampled_from(sorted(_bounds(rule_list)) or [0]))
    forbidden = [value for rule in rule_list for value in rule.forbidden]
    return st.tuples(
        st.lists(valid, min_size=2, max_size=3),
        st.lists(near, min_size=6, max_size=10),
        st.lists(sized, min_size=3, max_size=5),
        st.lists(st.text(max_size=12), max_size=2),
    ).map(lambda parts: [v for part in parts for v in part] + forbidden + ["", seed, *LOOKALIKES])


def _checks(rule: rules.AnyRule, value: Any) -> bool:
    """What the construct's check says: True unless it raises."""
    try:
        rule.check("prop", value)
    except BlueprintError:
        return False
    return True


# --- the modules' conditions, evaluated by Terraform ----------------------------------------


def validated(modules: Mapping[str, Any]) -> list[tuple[str, Input, list[str]]]:
    """(module, input, rendered conditions) of every validated module variable."""
    out = []
    for name in sorted(modules):
        mod = modules[name]
        for item in mod.spec.inputs:
            blocks = mod.doc["variable"][item.name].get("validation", [])
            assert len(blocks) == len(item.validations), f"{name}.{item.name}"
            if blocks:
                out.append((name, item, [block["condition"] for block in blocks]))
    return out


def _expression(condition: str, var: str) -> str:
    """The rendered condition as an expression over ``v`` instead of ``var.<var>``."""
    assert condition.startswith("${") and condition.endswith("}")
    return re.sub(rf"\bvar\.{var}\b", "v", condition[2:-1])


def terraform_verdicts(
    cases: list[tuple[list[str], list[str]]], workdir: Path
) -> list[list[list[bool]]]:
    """For each (conditions, values): per value, each condition's result, by ``terraform
    console`` on a configuration holding only the values (no provider: runs offline)."""
    (workdir / "values.json").write_text(json.dumps([values for _, values in cases]))
    (workdir / "main.tf").write_text(
        'locals {\n  values = jsondecode(file("${path.module}/values.json"))\n}\n'
    )
    # One expression: a non-interactive console prints only its last result.
    lists = [
        f"[for v in local.values[{i}] : [{', '.join(conditions)}]]"
        for i, (conditions, _) in enumerate(cases)
    ]
    expression = f"jsonencode([{', '.join(lists)}])"
    result = terraform.run(["console"], workdir, config_dir=workdir, input=expression + "\n")
    assert result.returncode == 0, result.output
    verdicts = json.loads(json.loads(result.stdout.strip()))
    assert len(verdicts) == len(cases), result.output
    return typing.cast(list[list[list[bool]]], verdicts)


@pytest.fixture(scope="module")
def cases(modules: Mapping[str, Any]) -> list[tuple[str, Input, list[str]]]:
    found = validated(modules)
    assert len(found) >= 40
    return found


def _rule_sets() -> list[tuple[rules.AnyRule, ...]]:
    """Each distinct list of validations of the modules' inputs (one test each)."""
    found: list[tuple[rules.AnyRule, ...]] = []
    for name in registry.names():
        for item in registry.get(name).inputs:
            if item.validations and item.validations not in found:
                found.append(item.validations)
    return found


RULE_SETS = _rule_sets()


@pytest.mark.parametrize(
    "rule_set", RULE_SETS, ids=[f"{i}-" + rs[0].message[:24] for i, rs in enumerate(RULE_SETS)]
)
def test_modules_accept_exactly_what_the_construct_rules_accept(
    rule_set: tuple[rules.AnyRule, ...],
    cases: list[tuple[str, Input, list[str]]],
    tmp_path_factory: Any,
) -> None:
    terraform.require_terraform()
    users = [(name, item, conds) for name, item, conds in cases if item.validations == rule_set]
    assert users
    if _elements(rule_set):
        generated = list_values_for(rule_set)
    else:
        generated = values_for(rule_set, accepted_example(rule_set))  # type: ignore[arg-type]
    outcomes: set[bool] = set()
    workdir = tmp_path_factory.mktemp("console")

    @settings(max_examples=5, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(values=generated)
    def agree(values: list[Any]) -> None:
        batch = [([_expression(c, item.name) for c in conds], values) for _, item, conds in users]
        for (name, item, _), results in zip(users, terraform_verdicts(batch, workdir), strict=True):
            where = f"{name}.{item.name}"
            for value, blocks in zip(values, results, strict=True):
                seen = _nfc(value)  # most generated values are NFC already
                python = [rule.accepts(seen) for rule in item.validations]
                assert blocks == python, (where, value, blocks, python)
                # ["#{TfToken[TOKEN.2]}"] is how the framework encodes a list token: skipped
                # by the construct as by Token.is_unresolved (tests/test_errors.py).
                checked = [_checks(rule, seen) for rule in item.validations]
                if not is_token(seen):
                    assert checked == python, (where, value, "Rule.check skipped", checked)
                outcomes.add(all(blocks))
                if all(blocks):  # a stricter module never takes what the construct refuses
                    assert rules.accepts(item.construct_rules, seen), (where, value)

    agree()
    assert outcomes == {True, False}, "values were never both accepted and refused"


def test_validations_equal_the_construct_rules_unless_stricter(
    cases: list[tuple[str, Input, list[str]]],
) -> None:
    """Only inputs the registry marks stricter (``module_rules``) differ from the construct."""
    stricter = {(bp.name, var.name) for bp in registry.BLUEPRINTS for var in _vars(bp)
                if var.module_rules is not None}  # fmt: skip
    for name, item, _ in cases:
        if (name, item.name) not in stricter:
            assert item.validations == item.construct_rules, (name, item.name)
    assert ("webhook", "name") in stricter and ("s3", "prefix") in stricter


# --- the constructs check with the same rules -------------------------------------------------


def _vars(bp: derive.Blueprint) -> list[derive.Var]:
    return [v for i in bp.inputs for v in (i.inputs if isinstance(i, derive.Part) else (i,))]


def literal_values(bp: derive.Blueprint) -> dict[str, Any]:
    """Inputs as a caller would give them: examples, else the construct's own default."""
    spec = registry.get(bp.name)
    owners: dict[str, str] = {}
    for item in bp.inputs:
        for var in item.inputs if isinstance(item, derive.Part) else (item,):
            owners[var.name] = item.factory if isinstance(item, derive.Part) else bp.construct
    values: dict[str, Any] = {}
    for item, var in zip(spec.inputs, _vars(bp), strict=True):
        param = derive.props_of(owners[var.name]).get(var.target)
        if item.required:
            values[item.name] = item.example
        elif var.passed and param is not None and param.default is not REQUIRED:
            values[item.name] = param.default
        else:
            values[item.name] = item.default
    return values


def _receivers(bp: derive.Blueprint, values: Mapping[str, Any], bad: Any) -> set[str]:
    """Construct props that receive the value ``bad`` (directly or through a fallback)."""
    return {var.target for var in _vars(bp) if var.passed and derive._value(var, values) == bad}


REFUSED = ["", " ", "a b", "UPPER", "-x", "x-", "ab", "a..b", "a/b", "goog-x", "x\n", "é",
           "a" * 300, "projects/p/subscriptions/s", "hooks.example.123", "/health", "ftp://x",
           "arn:aws:dynamodb:r:1:table/t"]  # fmt: skip


def _refused(rule: Rule, earlier: tuple[Rule, ...], example: str) -> str | None:
    """A value ``rule`` refuses that the rules checked before it accept (a Terraform-looking
    one first: the blueprint must check it, not skip it as a token)."""
    lookalikes = [example + text for text in LOOKALIKES]
    mutants = (_mutate(example, op, c, 3) for op in range(8) for c in ODD)
    candidates = [*lookalikes, *REFUSED, *mutants]
    for value in [*rule.forbidden, *candidates]:
        if rules.accepts(earlier, value) and not rule.accepts(value):
            return value
    return None


@pytest.mark.parametrize("bp", registry.BLUEPRINTS, ids=lambda bp: bp.name)
def test_blueprints_refuse_what_each_construct_rule_refuses(bp: derive.Blueprint) -> None:
    from metaflow_blueprints.runtime import App, TerraformStack

    spec = registry.get(bp.name)
    values = literal_values(bp)
    bp_build = spec.build
    bp_build(TerraformStack(App(), "ok"), values)  # the examples build
    checked = 0
    for item in spec.inputs:
        for i, rule in enumerate(item.construct_rules):
            if isinstance(rule, rules.Each):  # a list: one bad element after a good one
                good = accepted_example((rule.rule,))
                element = _refused(rule.rule, (), good)
                bad: Any = None if element is None else [good, element]
                wanted: Any = element
                message = rule.rule.message
            else:
                earlier = item.construct_rules[:i]
                bad = wanted = _refused(rule, earlier, str(values[item.name] or ""))  # type: ignore[arg-type]
                message = rule.message
            assert bad is not None, f"{bp.name}.{item.name}: no value refused by {rule}"
            given = {**values, item.name: bad}
            with pytest.raises(BlueprintError) as error:
                bp_build(TerraformStack(App(), "bad"), given)
            assert error.value.value == wanted, (bp.name, item.name, str(error.value))
            field = error.value.field.rsplit(".", 1)[-1]
            assert field in _receivers(bp, given, bad), (bp.name, item.name, field)
            assert str(error.value).endswith(message), (bp.name, item.name, str(error.value))
            checked += 1
    assert checked >= 4


def test_tokens_skip_the_check_unless_the_rule_says_no() -> None:
    from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable

    variable = TerraformVariable(TerraformStack(App(), "s"), "x", type="string")
    for token in (variable.string_value, f"orders.{variable.string_value}"):
        assert rules.METAFLOW_EVENT.check("event", token) == token
        with pytest.raises(BlueprintError, match="payload key"):
            rules.PAYLOAD_KEY.check("payload", token)  # keys are written at synth time
    with pytest.raises(BlueprintError, match="event name"):  # a number token is no string
        rules.METAFLOW_EVENT.check("event", variable.number_value)
    for text in LOOKALIKES:  # text that looks like Terraform is no token: checked
        with pytest.raises(BlueprintError, match="event name"):
            rules.METAFLOW_EVENT.check("event", text)
    with pytest.raises(BlueprintError) as error:
        rules.check("bucket_name", "a..b", rules.S3_BUCKET)
    assert (error.value.field, error.value.value) == ("bucket_name", "a..b")
    assert str(error.value) == "bucket_name='a..b': " + rules.S3_BUCKET[1].message


def test_rules_match_like_terraform_not_like_python_re() -> None:
    """RE2's ``$`` is the end of the text; Python's ``re.match`` also allows a final newline."""
    assert re.match(str(rules.METAFLOW_EVENT.pattern), "orders\n")
    assert not rules.METAFLOW_EVENT.accepts("orders\n")


# --- list rules -----------------------------------------------------------------------------


def test_each_refuses_a_string_and_bad_elements_and_skips_tokens() -> None:
    from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable

    channels, field = rules.NOTIFICATION_CHANNELS, "dead_letter_notification_channels"
    good = ["projects/p/notificationChannels/1", "projects/q/notificationChannels/2"]
    assert channels.check(field, good) == good and channels.check(field, ()) == ()
    for bad in ("projects/p/notificationChannels/1", None, 7):  # not a list
        with pytest.raises(BlueprintError, match="must be a list of strings") as caught:
            channels.check(field, bad)
        assert (caught.value.field, caught.value.value) == (field, bad)
    for element in ("projects/p/channels/1", 7, "${var.channel}", "a${b"):
        with pytest.raises(BlueprintError) as caught:
            channels.check(field, [good[0], element])
        assert (caught.value.field, caught.value.value) == (field, element)
        assert str(caught.value).endswith(channels.rule.message)
    stack = TerraformStack(App(), "s")
    listed = TerraformVariable(stack, "channels", type="list(string)").list_value
    one = TerraformVariable(stack, "channel", type="string").string_value
    assert channels.check(field, listed) == listed
    assert channels.check(field, [one, good[0]]) == [one, good[0]]


def test_each_condition_passes_null_and_checks_every_element(tmp_path: Path) -> None:
    terraform.require_terraform()
    condition = _expression(rules.ALARM_ACTIONS.condition("actions"), "actions")
    sns = "arn:aws:sns:us-east-1:123456789012:alerts"
    values: list[Any] = [None, [], [sns], [sns, "arn:aws:s3:::bucket"], ["${var.x}"]]
    (verdicts,) = terraform_verdicts([([condition], values)], tmp_path)
    assert verdicts == [[True], [True], [True], [False], [False]]
    assert [rules.ALARM_ACTIONS.accepts(v) for v in values[1:]] == [True, True, False, False]


# --- integer bounds -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [10, 11, 600])
def test_values_within_the_bounds_pass(value: int) -> None:
    assert rules.ACK_DEADLINE_SECONDS.check("ack_deadline_seconds", value) == value


@pytest.mark.parametrize("value", [9, 601, -1, True, False, 10.0, "10", None, "${var.x}"])
def test_anything_else_is_refused_naming_the_prop_and_value(value: object) -> None:
    with pytest.raises(BlueprintError) as error:
        rules.ACK_DEADLINE_SECONDS.check("ack_deadline_seconds", value)
    assert (error.value.field, error.value.value) == ("ack_deadline_seconds", value)
    assert str(error.value).endswith(": must be an integer within 10-600 s.")


def test_without_an_upper_bound_only_the_lower_one_counts() -> None:
    rules.REPLICAS.check("verifier_replicas", 10**9)
    with pytest.raises(BlueprintError, match=r"of at least 1 \(a byte count\)\.$"):
        rules.BODY_BYTES.check("max_payload_size", 0)


def test_terraform_tokens_pass_unless_the_range_says_no() -> None:
    """Design rule 7: a token's value is known at plan time only (Terraform validates it)."""
    from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable

    stack = TerraformStack(App(), "checks")
    number = TerraformVariable(stack, "n", type="number").number_value
    text = TerraformVariable(stack, "s", type="string").string_value
    assert rules.PIPE_BATCH_SIZE.check("batch_size", number) == number
    assert rules.PIPE_BATCH_SIZE.check("batch_size", text) == text
    with pytest.raises(BlueprintError, match="retry_window_seconds"):  # computed at synth
        rules.RETRY_WINDOW_SECONDS.check("retry_window_seconds", number)


def int_ranges() -> list[rules.IntRange]:
    return [value for value in vars(rules).values() if isinstance(value, rules.IntRange)]


def _int_constants(nodes: Iterable[ast.AST]) -> set[int]:
    return {n.value for n in nodes if isinstance(n, ast.Constant) and type(n.value) is int}


def bound_copies(root: Path, ranges: list[rules.IntRange]) -> list[str]:
    """``file:line`` of each call or comparison outside rules.py that spells both bounds of
    a range (``check(v, 10, 600)``, ``10 <= v <= 600``, ``v < 10 or v > 600``), or a range's
    message. Docstrings that state a bound for the reader are not checks and not counted."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "rules.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                numbers = _int_constants([*node.args, *(k.value for k in node.keywords)])
            elif isinstance(node, ast.Compare):
                numbers = _int_constants([node.left, *node.comparators])
            elif isinstance(node, ast.BoolOp):
                parts = [p for v in node.values if isinstance(v, ast.Compare)
                         for p in (v.left, *v.comparators)]  # fmt: skip
                numbers = _int_constants(parts)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # Messages (docstrings may state a bound for the reader: not a check)
                if any(r.message in node.value or f"integer within {r.low}-{r.high}" in
                       node.value for r in ranges):  # fmt: skip
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
                continue
            else:
                continue
            if any(r.high is not None and {r.low, r.high} <= numbers for r in ranges):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_each_integer_bound_is_written_once() -> None:
    ranges = int_ranges()
    assert len(ranges) >= 12
    assert bound_copies(PACKAGE, ranges) == []


def test_the_bound_check_finds_a_copy(tmp_path: Path) -> None:
    (tmp_path / "rules.py").write_text("")
    (tmp_path / "copy.py").write_text(
        "check_int_range('ack_deadline_seconds', value, 10, 600)\n"
        "ok = 1 <= port <= 65535\n"
        "bad = count < 1 or count > 1000\n"
        "HINT = 'must be an integer within 5-100.'\n"
    )
    assert bound_copies(tmp_path, int_ranges()) == [
        "copy.py:1", "copy.py:2", "copy.py:3", "copy.py:4"
    ]


# --- no pattern or message written twice ------------------------------------------------------


def all_rules() -> list[Rule]:
    found: list[Rule] = []
    for value in vars(rules).values():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Rule) and item not in found:
                found.append(item)
    for spec in (registry.get(name) for name in registry.names()):
        for item in spec.inputs:
            for rule in item.validations:
                inner = rule.rule if isinstance(rule, rules.Each) else rule
                found += [inner] if inner not in found else []
    for value in vars(rules).values():
        if isinstance(value, rules.Each) and value.rule not in found:
            found.append(value.rule)
    return found


def _strings(path: Path) -> list[str]:
    """Every string constant of a module, implicit concatenations joined (as Python does)."""
    tree = ast.parse(path.read_text())
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]  # fmt: skip


def _is_copy(text: str, rule: Rule) -> bool:
    """``text`` holds the rule's regex (one with a metacharacter: ``:dynamodb:`` is plain
    text that ARNs and examples contain legitimately) or its message, or 5+ words of it."""
    pattern = rule.pattern or ""
    if re.search(r"[\^$\[\]()*+?{}|\\]", pattern) and (text == pattern or (
        len(pattern) >= 8 and pattern in text
    )):
        return True
    prose = len(text) >= 40 and len(text.split()) >= 5
    return rule.message in text or (prose and text in rule.message)


def duplicates(root: Path, rule_list: list[Rule]) -> list[str]:
    """``file: text`` for each string constant outside rules.py that copies a rule."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "rules.py" and path.parent == root:
            continue
        for text in _strings(path):
            if any(_is_copy(text, rule) for rule in rule_list):
                found.append(f"{path.relative_to(root)}: {text!r}")
    return found


def test_no_rule_pattern_or_message_is_written_twice() -> None:
    rule_list = all_rules()
    assert len(rule_list) >= 25
    assert duplicates(PACKAGE, rule_list) == []


def test_the_duplicate_check_finds_a_copy(tmp_path: Path) -> None:
    (tmp_path / "rules.py").write_text("")
    (tmp_path / "copy.py").write_text(
        f"PATTERN = re.compile({rules.GCS_BUCKET.pattern!r})\n"
        f"URL = re.match({rules.WEBHOOK_URL.pattern!r}, url)\n"
        "HINT = ('is not a GCP project id: 6-30 lower-case letters, '\n"
        "        \"digits or '-'\")\n"
    )
    found = duplicates(tmp_path, all_rules())
    assert len(found) == 3 and all(line.startswith("copy.py: ") for line in found), found
