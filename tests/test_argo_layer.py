"""The argo layer: rendering, controller rules, name rules, strict schema (no cdktf)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaflow_blueprints.argo import (
    ContextFilter,
    DataFilter,
    Dependency,
    EventFilters,
    EventSource,
    ExprFilter,
    HttpTrigger,
    K8sTrigger,
    LogTrigger,
    ParamSource,
    PubSubEvent,
    RateLimit,
    ResetByTime,
    RetryStrategy,
    ScriptFilter,
    SecretKeyRef,
    Sensor,
    SnsEvent,
    SqsEvent,
    StatusPolicy,
    TimeFilter,
    Transform,
    Trigger,
    TriggerConditions,
    TriggerParameter,
    WebhookEvent,
    derive_name,
)
from metaflow_blueprints.argo.filters import anchored, regex_literal
from metaflow_blueprints.argo.names import EVENT_NAME, OBJECT_NAME
from metaflow_blueprints.errors import BlueprintError


def _sensor(**overrides: object) -> Sensor:
    kwargs: dict[str, object] = {
        "name": "s",
        "namespace": "ns",
        "dependencies": [Dependency("dep-a", "es", "ev")],
        "triggers": [Trigger("log", LogTrigger())],
    }
    kwargs.update(overrides)
    return Sensor(**kwargs)  # type: ignore[arg-type]


# --- filters ---------------------------------------------------------------------------


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


# --- triggers --------------------------------------------------------------------------


def test_trigger_policy_and_retry_sit_next_to_template() -> None:
    trigger = Trigger(
        "post",
        HttpTrigger(
            "http://x:1/y",
            headers={"Content-Type": "application/json"},
            secure_headers={"Authorization": SecretKeyRef("s", "k")},
            payload=[TriggerParameter(ParamSource("d", data_key="body"), "payload")],
            timeout_seconds=5,
        ),
        conditions=TriggerConditions.any("a", TriggerConditions.all("b", "c")),
        conditions_reset=[ResetByTime("0 0 * * *", "UTC")],
        policy=StatusPolicy((200, 201)),
        retry_strategy=RetryStrategy(),
        rate_limit=RateLimit(10, "Minute"),
        at_least_once=True,
    ).render()
    assert set(trigger) == {"template", "policy", "retryStrategy", "rateLimit", "atLeastOnce"}
    assert trigger["template"]["conditions"] == "(a || (b && c))"
    assert trigger["template"]["http"]["secureHeaders"] == [
        {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    ]
    assert trigger["policy"] == {"status": {"allow": [200, 201]}}


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (
            lambda: Trigger("t", LogTrigger(), retry_strategy=RetryStrategy()),
            "Trigger.retry_strategy",
        ),
        (lambda: Trigger("Bad_Name", LogTrigger()), "Trigger.name"),
        (lambda: Trigger("t", LogTrigger(), policy=StatusPolicy()), "Trigger.policy"),
        (lambda: HttpTrigger("ftp://x"), "HttpTrigger.url"),
        (lambda: HttpTrigger("http://x", timeout_seconds=0), "HttpTrigger.timeout_seconds"),
        (lambda: RetryStrategy(steps=0), "RetryStrategy.steps"),
        (lambda: RetryStrategy(duration="2 seconds"), "RetryStrategy.duration"),
        (lambda: RetryStrategy(jitter=2), "RetryStrategy.jitter"),
        (lambda: RateLimit(0), "RateLimit.requests_per_unit"),
        (lambda: ResetByTime("* *"), "ResetByTime.cron"),
        (lambda: K8sTrigger({"kind": "Workflow"}), "K8sTrigger.resource.apiVersion"),
        (lambda: TriggerParameter(ParamSource("d"), ""), "TriggerParameter.dest"),
        (lambda: TriggerConditions.any(), "TriggerConditions"),
    ],
)
def test_trigger_errors_name_the_field(build: object, field: str) -> None:
    with pytest.raises(BlueprintError) as error:
        build()  # type: ignore[operator]
    assert error.value.field == field


# --- sensor and event source -----------------------------------------------------------


def test_sensor_rules() -> None:
    with pytest.raises(BlueprintError, match="at least one dependency"):
        _sensor(dependencies=[])
    with pytest.raises(BlueprintError, match="at least one trigger"):
        _sensor(triggers=[])
    with pytest.raises(BlueprintError, match="used twice"):
        _sensor(dependencies=[Dependency("a", "es", "ev"), Dependency("a", "es", "ev2")])
    with pytest.raises(BlueprintError, match="used twice"):
        _sensor(triggers=[Trigger("t", LogTrigger()), Trigger("t", LogTrigger())])
    with pytest.raises(BlueprintError) as error:
        _sensor(name="My.Sensor")
    assert error.value.field == "Sensor.name"


def test_event_source_rules() -> None:
    webhook = WebhookEvent("/hook")
    pubsub = PubSubEvent("sub")
    with pytest.raises(BlueprintError, match="mixes Pub/Sub"):
        EventSource("es", "ns", {"a": webhook, "b": pubsub})
    with pytest.raises(BlueprintError) as error:
        EventSource("es", "ns", {"a.b": webhook})
    assert error.value.field == "EventSource.events"
    for bad in ("hook", "/health", "/a b"):
        with pytest.raises(BlueprintError):
            WebhookEvent(bad)
    with pytest.raises(BlueprintError):
        WebhookEvent("/x", port=70000)
    with pytest.raises(BlueprintError, match="both static keys or neither"):
        SqsEvent("q", "eu-west-1", access_key=SecretKeyRef("s", "k"))
    with pytest.raises(BlueprintError):
        SqsEvent("q", "eu-west-1", wait_time_seconds=21)
    with pytest.raises(BlueprintError, match="invalid without topic"):
        PubSubEvent("sub", topic_project_id="p")


def test_every_kind_renders_schema_valid(strict_validator) -> None:  # type: ignore[no-untyped-def]
    sources = [
        EventSource(
            "webhooks",
            "ns",
            {
                "a": WebhookEvent(
                    "/a", auth_secret=SecretKeyRef("s", "token"), max_payload_size=1024
                ),
                "b": SqsEvent(
                    "q",
                    "eu-west-1",
                    endpoint="http://localstack:4566",
                    role_arn="arn:aws:iam::1:role/r",
                ),
                "c": SnsEvent(
                    "arn:aws:sns:eu-west-1:1:t", "eu-west-1", WebhookEvent("/sns", port=12001)
                ),
            },
            service_account_name="sa",
            service_ports=(12000, 12001),
        ),
        EventSource(
            "pubsub", "ns", {"m": PubSubEvent("sub", "proj", topic="t", topic_project_id="p2")}
        ),
    ]
    filters = EventFilters.all(
        [
            DataFilter.at("body.a").string().equals("x"),
            DataFilter.at("body.n").number().lt(3),
            ExprFilter("a == 'x'", {"a": "body.a"}),
            ContextFilter(type="webhook", source="webhooks"),
            TimeFilter("01:00:00", "02:00:00", "Europe/Paris"),
            ScriptFilter("return true"),
        ]
    )
    sensor = _sensor(
        dependencies=[
            Dependency("d", "webhooks", "a", filters=filters, transform=Transform(jq="."))
        ],
        triggers=[
            Trigger(
                "http",
                HttpTrigger(
                    "http://x:1/y", payload=[TriggerParameter(ParamSource("d", value="v"), "k")]
                ),
                policy=StatusPolicy(),
                retry_strategy=RetryStrategy(),
                at_least_once=True,
                rate_limit=RateLimit(1),
                conditions_reset=[ResetByTime("0 0 * * *")],
            ),
            Trigger(
                "k8s",
                K8sTrigger(
                    {
                        "apiVersion": "argoproj.io/v1alpha1",
                        "kind": "Workflow",
                        "metadata": {"generateName": "w-"},
                    },
                    parameters=[
                        TriggerParameter(ParamSource("d", data_key="body.a"), "metadata.labels.a")
                    ],
                ),
            ),
            Trigger("log", LogTrigger(5)),
        ],
        service_account_name="sa",
        labels={"a": "b"},
        annotations={"c": "d"},
    )
    for manifest in [s.render() for s in sources] + [sensor.render()]:
        assert strict_validator.errors(manifest) == [], manifest


def test_strict_validator_catches_misplaced_keys(strict_validator) -> None:  # type: ignore[no-untyped-def]
    # The check must be able to fail: atLeastOnce under template is silently ignored by Argo.
    sensor = _sensor().render()
    sensor["spec"]["triggers"][0]["template"]["atLeastOnce"] = True
    assert any("atLeastOnce" in e for e in strict_validator.errors(sensor))


# --- names -----------------------------------------------------------------------------


@settings(max_examples=200)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_derived_names_always_follow_the_rules(parts: list[str]) -> None:
    name = derive_name(*parts)
    assert OBJECT_NAME.match(name), name
    assert derive_name(*parts) == name  # deterministic
    event = derive_name(*parts, max_length=63)
    assert EVENT_NAME.match(event), event


def test_long_names_are_shortened_with_a_distinguishing_hash() -> None:
    a = derive_name("x" * 60, "a")
    b = derive_name("x" * 60, "b")
    assert len(a) <= 47 and len(b) <= 47 and a != b


@settings(max_examples=100, deadline=None)
@given(
    st.from_regex(r"[a-z]([a-z0-9-]{0,45}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
)
def test_any_accepted_name_renders_a_schema_valid_manifest(
    object_name: str, event_name: str
) -> None:
    from metaflow_blueprints.tools.schema import StrictArgoValidator
    from tests.helpers import SCHEMA_DIR, require_shared

    require_shared()
    validator = StrictArgoValidator(SCHEMA_DIR)
    source = EventSource(object_name, "ns", {event_name: WebhookEvent("/x")}).render()
    sensor = _sensor(
        name=object_name, dependencies=[Dependency(event_name, object_name, event_name)]
    ).render()
    assert validator.errors(source) == [] and validator.errors(sensor) == []
    assert len(f"{object_name}-eventsource-svc") <= 63


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


def test_several_service_ports_are_named(strict_validator) -> None:  # type: ignore[no-untyped-def]
    """Kubernetes rejects a multi-port Service whose ports are not all named (unique
    DNS-1123 labels); one port may stay unnamed."""
    import re

    def ports(*numbers: int) -> list[dict[str, object]]:
        source = EventSource(
            "hooks", "ns", {"a": WebhookEvent("/a", port=numbers[0])}, service_ports=numbers
        ).render()
        assert strict_validator.errors(source) == []
        return source["spec"]["service"]["ports"]  # type: ignore[no-any-return]

    several = ports(12000, 12001)
    names = [p["name"] for p in several]
    assert len(set(names)) == 2
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", str(n)) and len(str(n)) <= 15
               for n in names)
    assert ports(12000) == [{"port": 12000, "targetPort": 12000}]
