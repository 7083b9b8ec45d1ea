"""``metaflow-blueprints replay``: the typer command function (registered by ``cli.py``)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .engine import ReplayResult, replay
from .errors import ReplayError

EXIT_BAD_INPUT = 2


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {message}", markup=False)
    return typer.Exit(code=EXIT_BAD_INPUT)


def _parse_headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ReplayError(f"--header {item!r} is not 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def _parse_attributes(values: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ReplayError(f"--attribute {item!r} is not 'key=value'")
        attrs[key] = value
    return attrs


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ReplayError(f"--now {text!r} is not ISO 8601: {exc}") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _read_event(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReplayError(f"cannot read event file {path}: {exc.strerror or exc}") from exc


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def _print_explain(result: ReplayResult) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in result.explain:
        style = "red" if ("discarded" in line or "not published" in line or "fails" in line) \
            else "green" if ("fired" in line or line.endswith("passed")) else None
        console.print(line, style=style, markup=False)


def replay_command(
    stack_dir: Annotated[Path, typer.Argument(
        help="Synthesized stack directory (cdktf.out/stacks/<name>) or its cdk.tf.json.")],
    event: Annotated[Path, typer.Option(
        "--event", help="The message as the source system produced it ('-' for stdin).")],
    source: Annotated[str | None, typer.Option(
        "--source", help="EVENTSOURCE/EVENTNAME (optional when the stack has one event).")] = None,
    header: Annotated[list[str] | None, typer.Option(
        "--header", help="Request header 'Name: value' (webhook, sns); repeatable.")] = None,
    attribute: Annotated[list[str] | None, typer.Option(
        "--attribute", help="Message attribute key=value (sqs, pubsub); repeatable.")] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Print why each dependency and filter passed or failed (stderr).")
    ] = False,
    now: Annotated[str | None, typer.Option(
        "--now", help="Event time (ISO 8601); also jq's `now`. Default: current UTC time.")
    ] = None,
) -> None:
    """Replay a recorded source message through the stack's Sensors and print what fires.

    One JSON object per fired trigger on stdout; nothing fires: no output, exit 0.
    Bad input or an unsupported construct: one line on stderr, exit 2.
    """
    try:
        raw = _read_event(event)
        result = replay(
            stack_dir, event=raw, source=source,
            headers=_parse_headers(header or []), attributes=_parse_attributes(attribute or []),
            now=_parse_now(now), explain=explain,
        )
    except ReplayError as exc:
        raise _fail(str(exc)) from None
    if result.dropped is not None and not _is_json(raw):
        raise _fail(f"event file {event} is not valid JSON ({result.dropped})")
    if explain:
        _print_explain(result)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if result.dropped is not None and not explain:
        err.print(f"{result.source}: nothing published: {result.dropped}", markup=False)
    for failure in result.failed:
        err.print(f"warning: sensor {failure['sensor']} trigger {failure['trigger']} would fail: "
                  f"{failure['error']}", markup=False)
    for fired in result.fired:
        sys.stdout.write(json.dumps(fired, ensure_ascii=False) + "\n")
    sys.stdout.flush()
