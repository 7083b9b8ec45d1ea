"""Every text rule a construct checks and a module validates, each written once.

A :class:`Rule` is an RE2 pattern (searched, as Terraform's ``can(regex(...))`` does: write
``^...$`` for a whole-value rule), optional length limit and forbidden values, and the
message that completes "``<prop>`` ...". Constructs call :meth:`Rule.check` (or
:func:`check` for several rules), which raises ``BlueprintError(prop, value, message)``;
the module export renders the same rule as a ``variable { validation { ... } }`` block
(:meth:`Rule.condition`), and ``tests/test_rules.py`` evaluates both with real RE2 and the
real Terraform CLI. No other module of the package may spell a rule's pattern or message
(``tests/test_rules.py`` greps for copies).

Tokens (design rule 7): a token of the framework (a ``TerraformVariable``, a resource
attribute, an ``Fn`` call, text concatenated with one: :func:`errors.is_token`) is known only
at plan time, so :meth:`Rule.check` lets it pass when ``tokens`` is true; a module then checks
it with the rendered validation. Text that only looks like Terraform (``"${var.x}"``,
``"a${b"``) is no token and is checked like any value. A rule with ``tokens=False`` refuses
tokens (its value is compiled into something at synth time).
This module imports neither cdktf nor the argo/metaflow layers, so every layer can use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import re2

from metaflow_blueprints.errors import BlueprintError, is_token

T = TypeVar("T")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


@dataclass(frozen=True)
class Rule:
    """One check on a string prop; also one Terraform ``validation`` block."""

    message: str
    pattern: str | None = None
    max_length: int | None = None
    forbidden: tuple[str, ...] = ()
    #: True: a Terraform token passes :meth:`check` (checked at plan time by the module).
    tokens: bool = True

    def __post_init__(self) -> None:
        if self.pattern is not None:
            if "${" in self.pattern or "%{" in self.pattern:
                raise ValueError(f"{self.pattern!r} would be read as a Terraform template")
            try:
                self._compiled  # noqa: B018 - compile now: a bad pattern fails at import
            except re2.error as exc:
                problem = f"{self.pattern!r} is not RE2 (Terraform's regex()): {exc}"
                raise ValueError(problem) from None

    @cached_property
    def _compiled(self) -> Any:
        return re2.compile(self.pattern, _OPTIONS)

    def accepts(self, value: object) -> bool:
        """The rule on a concrete value (RE2 search, length in characters, forbidden)."""
        if not isinstance(value, str):
            return False
        if self.pattern is not None and self._compiled.search(value) is None:
            return False
        if self.max_length is not None and len(value) > self.max_length:
            return False
        return value not in self.forbidden

    def check(self, prop: str, value: T) -> T:
        """Return ``value``; raise ``BlueprintError`` naming ``prop`` unless it is accepted
        (a string token passes if ``tokens``; a number or list token is no string)."""
        if self.tokens and isinstance(value, str) and is_token(value):
            return value
        if not self.accepts(value):
            raise BlueprintError(prop, value, self.message)
        return value

    def condition(self, var: str) -> str:
        """The Terraform condition on ``var.<var>`` (null passes: nullable inputs)."""
        ref = f"var.{var}"
        return "${" + f"{ref} == null || ({self.tests(ref)})" + "}"

    def tests(self, ref: str) -> str:
        """The rule as a Terraform expression on ``ref`` (a string)."""
        tests = []
        if self.pattern is not None:
            pattern = self.pattern.replace("\\", "\\\\").replace('"', '\\"')
            tests.append(f'can(regex("{pattern}", {ref}))')
        if self.max_length is not None:
            tests.append(f"try(length({ref}), 0) <= {self.max_length}")
        if self.forbidden:
            values = ", ".join(f'"{value}"' for value in self.forbidden)
            tests.append(f"try(!contains([{values}], {ref}), true)")
        return " && ".join(tests)


@dataclass(frozen=True)
class Each:
    """A :class:`Rule` on every element of a list-of-strings prop; one ``validation`` block."""

    rule: Rule

    @property
    def pattern(self) -> str | None:
        return self.rule.pattern

    @property
    def max_length(self) -> int | None:
        return self.rule.max_length

    @property
    def message(self) -> str:
        """Completes "``<prop>`` ..." in the module's error (the construct names the element)."""
        return f"has an element that {self.rule.message}"

    def accepts(self, value: object) -> bool:
        """A list (not a string) whose elements the rule all accepts."""
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            return False
        return all(self.rule.accepts(item) for item in value)

    def check(self, prop: str, value: T) -> T:
        """Return ``value``; raise ``BlueprintError`` naming ``prop`` and the first refused
        element. A list token (a whole list variable) and string-token elements pass if the
        rule's ``tokens`` is true."""
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise BlueprintError(prop, value, "must be a list of strings.", f"Write [{value!r}].")
        if self.rule.tokens and is_token(list(value)):
            return value
        for item in value:
            if not isinstance(item, str):
                raise BlueprintError(prop, item, self.rule.message)
            self.rule.check(prop, item)
        return value

    def condition(self, var: str) -> str:
        """The Terraform condition on ``var.<var>``: every element passes (null passes)."""
        ref = f"var.{var}"
        each = f"[for e in coalesce({ref}, []) : {self.rule.tests('e')}]"
        return "${" + f"alltrue({each})" + "}"


#: What a module input is validated with (and a construct checks).
AnyRule = Rule | Each


@dataclass(frozen=True)
class IntRange:
    """The bounds of an integer prop, inclusive (``high=None``: no upper bound)."""

    low: int
    high: int | None = None
    #: Follows the bounds in the message (``" s"``).
    unit: str = ""
    #: Added to the message in parentheses.
    why: str = ""
    #: True: a Terraform token passes :meth:`check`. False: the value is used at synth time.
    tokens: bool = True

    @property
    def message(self) -> str:
        bounds = f"within {self.low}-{self.high}" if self.high is not None else (
            f"of at least {self.low}"
        )
        reason = f" ({self.why})" if self.why else ""
        return f"must be an integer {bounds}{self.unit}{reason}."

    def accepts(self, value: object) -> bool:
        """An ``int`` (not a bool) within the bounds."""
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return self.low <= value and (self.high is None or value <= self.high)

    def check(self, prop: str, value: T) -> T:
        """Return ``value``; raise ``BlueprintError`` naming ``prop`` unless it is accepted
        (any Terraform token passes if ``tokens``: its value is known at plan time only)."""
        if self.tokens and is_token(value):
            return value
        if not self.accepts(value):
            raise BlueprintError(prop, value, self.message)
        return value


def check(prop: str, value: T, rules: Iterable[AnyRule]) -> T:
    """Every rule in order on ``value``; the first that refuses raises. Returns ``value``."""
    for rule in rules:
        rule.check(prop, value)
    return value


def accepts(rules: Iterable[AnyRule], value: object) -> bool:
    return all(rule.accepts(value) for rule in rules)


def _inner(rule: Rule) -> str:
    """A whole-value pattern without its anchors, to compose a larger pattern."""
    assert rule.pattern is not None and rule.pattern[0] == "^" and rule.pattern[-1] == "$"
    return rule.pattern[1:-1]


# --- Kubernetes and Argo Events ----------------------------------------------------------------

#: A container or Service port.
PORT = IntRange(1, 65535, why="a TCP port", tokens=False)  # rendered at synth, as before

#: EventSource/Sensor/EventBus name: the EventSource Service ``<name>-eventsource-svc`` must
#: stay a 63-character DNS label, and JetStream uses the names as subject tokens.
OBJECT_NAME_MAX = 47
_OBJECT_NAME = r"^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$"


def object_name(max_length: int = OBJECT_NAME_MAX, why: str = "") -> Rule:
    """The Argo Events object-name rule, optionally shorter (``why`` says what needs it)."""
    return Rule(
        f"must be 1-{max_length} characters: lower-case letters, digits and '-', starting "
        f"with a letter and ending with a letter or digit{why}.",
        pattern=_OBJECT_NAME,
        max_length=None if max_length == OBJECT_NAME_MAX else max_length,
    )


OBJECT_NAME = object_name(
    why=" (the EventSource Service name adds 16 characters and must stay a 63-character DNS "
    "label)"
)
#: Event, dependency and trigger names: JetStream subject tokens and KV keys.
EVENT_NAME = Rule(
    "is not a valid Argo Events event/dependency/trigger name: use 1-63 lower-case letters, "
    "digits and '-', starting and ending with a letter or digit (no dots, '_' or wildcards).",
    pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
)
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
#: A Kubernetes namespace (DNS-1123 label).
NAMESPACE = Rule("is not a valid Kubernetes namespace (DNS-1123 label).", pattern=f"^{_LABEL}$")
#: A Kubernetes object name (DNS-1123 subdomain): Secrets, IngressClasses.
SUBDOMAIN = Rule(
    "is not a valid Kubernetes object name (lower-case DNS-1123 subdomain).",
    pattern=rf"^{_LABEL}(\.{_LABEL})*$",
    max_length=253,
)
#: An Ingress host: a DNS-1123 subdomain whose last label holds a letter (so no IPv4).
HOST = (
    Rule(
        "must be a bare lower-case DNS name of at most 253 characters (no scheme, port, path, "
        "spaces or wildcard), e.g. 'hooks.example.com'.",
        pattern=SUBDOMAIN.pattern,
        max_length=253,
    ),
    Rule("must be a DNS name, not an IP address.", pattern=r"[a-z][-a-z0-9]*$"),
)
#: A webhook EventSource path (a mux route; /health is Argo's own).
WEBHOOK_ENDPOINT = Rule(
    "must be a URL path starting with '/' (letters, digits, '._~-/'), not /health.",
    pattern=r"^/[A-Za-z0-9._~\-/]*$",
    forbidden=("/health",),
)

# --- Metaflow ----------------------------------------------------------------------------------

#: What Metaflow's ``@trigger`` accepts as an event name.
METAFLOW_EVENT = Rule(
    "is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' "
    "(e.g. 'data.updated').",
    pattern=r"^[A-Za-z0-9_.-]+$",
)
#: Top-level payload keys Metaflow maps to flow parameters.
PAYLOAD_KEY = Rule(
    "is not a valid payload key: Metaflow maps only top-level keys made of letters, digits "
    "and '_' to flow parameters.",
    pattern=r"^[A-Za-z0-9_]+$",
    tokens=False,  # keys of the Sensor's payload mapping, written at synth time
)
WEBHOOK_URL = Rule("must be an http:// or https:// URL.", pattern="^https?://")
#: How long the bridge retries delivering an event to Metaflow's webhook.
RETRY_WINDOW_SECONDS = IntRange(60, 604800, unit=" s", why="7 days", tokens=False)

# --- webhooks and their ingress ----------------------------------------------------------------

#: Request body limit (``max_payload_size``, the Ingress' ``max_body_bytes``).
BODY_BYTES = IntRange(1, why="a byte count")
#: Requests per second an Ingress admits from one client.
RATE_LIMIT_RPS = IntRange(1)
#: Verifier Deployment replicas.
REPLICAS = IntRange(1)
#: How long the verifier waits for the EventSource.
UPSTREAM_TIMEOUT_SECONDS = IntRange(1, unit=" s")

# --- AWS ---------------------------------------------------------------------------------------

S3_BUCKET = (
    Rule(
        "is not a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-' (the "
        "name, not an ARN or s3:// URL).",
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    ),
    Rule("must not contain '..' (not a valid S3 bucket name).", pattern=r"^[^.]*(\.[^.]+)*\.?$"),
)
#: S3 key prefix/suffix given to a module: the value goes unescaped into a JSON string and an
#: EventBridge wildcard (the construct escapes literals in Python). \x22 is '"', \x5c is '\'.
EVENTBRIDGE_KEY_AFFIX = Rule(
    "must not contain '*', '\"', '\\' or control characters (they would change the "
    "EventBridge pattern).",
    pattern=r"^[^*\x22\x5c\x00-\x1f]*$",
)
DYNAMODB_TABLE = Rule(
    "is not a DynamoDB table name: 3-255 letters, digits, '_', '-' or '.' (the name, not "
    "the ARN).",
    pattern=r"^[A-Za-z0-9_.-]{3,255}$",
)
_STREAM = "is not a DynamoDB stream ARN (arn:aws:dynamodb:<region>:<account>:table/<T>/stream/<S>)."
DYNAMODB_STREAM_ARN = (Rule(_STREAM, pattern=":dynamodb:"), Rule(_STREAM, pattern="/stream/"))
#: ``dead_letter_alarm_actions``: services a CloudWatch alarm action may name (SNS topics,
#: Lambda functions, Auto Scaling policies, EC2 actions, Systems Manager OpsItems and
#: Incident Manager response plans).
ALARM_ACTIONS = Each(
    Rule(
        "is not a CloudWatch alarm action ARN. Use an SNS topic ARN (arn:aws:sns:<region>:"
        "<account>:<topic>), a Lambda function ARN, an Auto Scaling policy ARN or an EC2/SSM "
        "action ARN.",
        pattern=r"^arn:aws[a-z-]*:(sns|lambda|autoscaling|automate|ssm|ssm-incidents):"
        r"[a-z0-9-]*:.+$",
    )
)
OIDC_PROVIDER_ARN = Rule(
    "is not an IAM OIDC provider ARN: expected arn:aws:iam::<account>:oidc-provider/"
    "oidc.eks.<region>.amazonaws.com/id/<ID>.",
    pattern=":oidc-provider/",
)
OIDC_ISSUER = Rule(
    "is not an OIDC issuer URL: pass the cluster's identity.oidc.issuer, e.g. "
    "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE.",
    pattern="/",
)

#: An SQS queue's dead-letter redrive: receives before a message moves to the DLQ.
MAX_RECEIVE_COUNT = IntRange(1, 1000)
#: EventBridge Pipes (the DynamoDB stream source): an SQS target takes 10 records at most.
PIPE_BATCH_SIZE = IntRange(1, 10, why="an SQS target takes at most 10 per batch")
PIPE_MAXIMUM_RETRY_ATTEMPTS = IntRange(0, 10000)
PIPE_MAXIMUM_RECORD_AGE_SECONDS = IntRange(60, 604800)

# --- Snowflake ---------------------------------------------------------------------------------

#: An unquoted-syntax Snowflake identifier; quotes, ';', spaces and newlines are refused, so a
#: prop cannot change the structure of the generated SQL.
SNOWFLAKE_IDENTIFIER = Rule(
    "is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting "
    "with a letter or '_', as Snowflake stores it (unquoted names are upper-case).",
    pattern=r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$",
)

# --- GCP ---------------------------------------------------------------------------------------

GCP_PROJECT = Rule(
    "is not a GCP project id: 6-30 lower-case letters, digits or '-', starting with a letter "
    "(the id, not the name or number).",
    pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
)
_PUBSUB_ID = Rule(
    "is not a Pub/Sub id: 3-255 letters, digits and '-_.~+%', starting with a letter.",
    pattern=r"^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$",
)
#: A Pub/Sub topic or subscription id (not starting with ``goog`` in any case).
PUBSUB_ID = (
    _PUBSUB_ID,
    Rule(
        "must not start with 'goog' (reserved by Pub/Sub).",
        pattern=r"^([^Gg]|[Gg]([^Oo]|$)|[Gg][Oo]([^Oo]|$)|[Gg][Oo][Oo]([^Gg]|$))",
    ),
)
#: A topic id, or its full path ``projects/P/topics/T``.
PUBSUB_TOPIC = (
    Rule(
        "must be a topic id (3-255 letters, digits and '-_.~+%', starting with a letter) or "
        "projects/<project>/topics/<id>.",
        pattern=f"^(projects/{_inner(GCP_PROJECT)}/topics/)?{_inner(_PUBSUB_ID)}$",
    ),
    Rule(
        "must not name a topic starting with 'goog' (reserved by Pub/Sub).",
        pattern=r"^([^/]+/)*([^Gg/]|[Gg]([^Oo/]|$)|[Gg][Oo]([^Oo/]|$)|"
        r"[Gg][Oo][Oo]([^Gg/]|$))[^/]*$",
    ),
)
GCP_SERVICE_ACCOUNT_ID = Rule(
    "is not a service account id: 6-30 lower-case letters, digits and '-', starting with a "
    "letter and ending with a letter or digit.",
    pattern=r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$",
)
GCS_BUCKET = Rule(
    "is not a GCS bucket name: 3-222 lower-case letters, digits, '-', '_', '.' (the bare "
    "name, without gs:// or a path).",
    pattern=r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$",
)
GCP_KMS_KEY = Rule(
    "is not a Cloud KMS key name: use 'projects/P/locations/L/keyRings/R/cryptoKeys/K'.",
    pattern=r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$",
)
#: ``dead_letter_notification_channels`` of the dead-letter alert policy.
NOTIFICATION_CHANNELS = Each(
    Rule(
        "is not a notification channel name. Use projects/<project>/notificationChannels/<id> "
        "(google_monitoring_notification_channel's id).",
        pattern=r"^projects/[^/]+/notificationChannels/[^/]+$",
    )
)
#: Pub/Sub subscription settings (the API's limits).
ACK_DEADLINE_SECONDS = IntRange(10, 600, unit=" s")
MESSAGE_RETENTION_SECONDS = IntRange(600, 604800, unit=" s")
#: ``minimum_backoff_seconds`` and ``maximum_backoff_seconds`` of the retry policy.
BACKOFF_SECONDS = IntRange(0, 600, unit=" s")
MAX_DELIVERY_ATTEMPTS = IntRange(5, 100)
#: A module ``name`` that also names a Pub/Sub topic (``<name>``, lower-case already).
GCP_TOPIC_STEM = (
    Rule(
        "must be at least 3 characters (a Pub/Sub topic is named after it).", pattern=r"^.{3,}$"
    ),
    Rule(
        "must not start with 'goog' (reserved by Pub/Sub).",
        pattern=r"^([^g]|g[^o]|go[^o]|goo[^g]|goo$)",
    ),
)

# --- vendors -----------------------------------------------------------------------------------

#: dbt Cloud account, job and environment ids.
DBT_NUMERIC_ID = Rule(
    "must be a dbt Cloud id, digits only, e.g. '12345' (ids arrive as strings).",
    pattern=r"^[0-9]+$",
)
