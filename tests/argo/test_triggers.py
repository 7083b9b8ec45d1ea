"""argo.triggers: policy and retry placement, trigger bad input (no cdktf)."""

from __future__ import annotations

import pytest

from metaflow_blueprints.argo import (
    HttpTrigger,
    K8sTrigger,
    LogTrigger,
    ParamSource,
    RateLimit,
    ResetByTime,
    RetryStrategy,
    SecretKeyRef,
    StatusPolicy,
    Trigger,
    TriggerConditions,
    TriggerParameter,
)
from metaflow_blueprints.errors import BlueprintError


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
