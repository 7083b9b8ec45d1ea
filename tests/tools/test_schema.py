"""tools.schema: the strict Argo schema accepts every kind we render and catches misplaced keys."""

from __future__ import annotations

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
    TriggerParameter,
    WebhookEvent,
)


def _sensor(**overrides: object) -> Sensor:
    kwargs: dict[str, object] = {
        "name": "s",
        "namespace": "ns",
        "dependencies": [Dependency("dep-a", "es", "ev")],
        "triggers": [Trigger("log", LogTrigger())],
    }
    kwargs.update(overrides)
    return Sensor(**kwargs)  # type: ignore[arg-type]


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
