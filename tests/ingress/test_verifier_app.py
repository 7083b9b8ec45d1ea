"""The signature verifier, run for real on loopback: HTTP in, HTTP out, no mocks.

Signature formats, from the vendors' documentation (also docs/sources.md):

* dbt Cloud (https://docs.getdbt.com/docs/deploy/webhooks, "Validate a webhook"): the
  ``Authorization`` header is the lowercase hex ``HMAC-SHA256(secret, raw body)``, no scheme.
* Fivetran (https://fivetran.com/docs/rest-api/getting-started/webhooks, "Signing"): the
  ``X-Fivetran-Signature-256`` header is the hex ``HMAC-SHA256(secret, raw body)``; compare
  case-insensitively.

The bodies are the project's example deliveries (examples/events/vendor_webhooks/), sent as raw
bytes: the signature covers the bytes, not the parsed JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.ingress.verifier_app import Config, make_server, sign, signature_matches
from tests.helpers import REPO

EVENTS = REPO / "examples" / "events" / "vendor_webhooks"
SECRET = b"whsec-7f3a9c-loopback-test-secret"
SECRET_PATH = "/vendor-webhooks-dbt-cloud/0123456789abcdef0123456789abcdef"
LIMIT = 64 * 1024


@dataclass
class Downstream:
    """A stand-in EventSource: records what reaches it; can be slow."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    delay_seconds: float = 0.0
    status: int = 200


def _serve(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return thread


@pytest.fixture
def downstream() -> Iterator[Downstream]:
    state = Downstream(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            time.sleep(state.delay_seconds)
            answer = b"success"
            try:
                self.send_response(state.status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except BrokenPipeError:  # the verifier gave up first (slow-downstream test)
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    _serve(server)
    yield state
    server.shutdown()
    server.server_close()


def _verifier(tmp_path: Path, vendor: str, upstream_port: int, **extra: Any) -> Iterator[int]:
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(SECRET)
    config = Config(
        vendor=vendor,
        secret_file=str(secret_file),
        upstream=f"http://127.0.0.1:{upstream_port}",
        host="127.0.0.1",
        port=0,
        max_body_bytes=LIMIT,
        upstream_timeout_seconds=extra.pop("upstream_timeout_seconds", 2.0),
        read_timeout_seconds=extra.pop("read_timeout_seconds", 1.0),
    )
    server = make_server(config)
    _serve(server)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def dbt(tmp_path: Path, downstream: Downstream) -> Iterator[int]:
    yield from _verifier(tmp_path, "dbt-cloud", downstream.port)


@pytest.fixture
def fivetran(tmp_path: Path, downstream: Downstream) -> Iterator[int]:
    yield from _verifier(tmp_path, "fivetran", downstream.port)


def _post(
    port: int, body: bytes, headers: dict[str, str], path: str = SECRET_PATH
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _raw(port: int, data: bytes, *, pause_after: float = 0.0) -> bytes:
    """Send raw bytes; return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if pause_after:
            time.sleep(pause_after)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _example(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def _hmac(body: bytes, secret: bytes = SECRET) -> str:
    # Independent of the app: the stdlib recipe the vendors document.
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


JSON = {"Content-Type": "application/json"}


def test_sign_matches_the_documented_recipe() -> None:
    body = _example("dbt_job_run_completed_success.json")
    assert sign(SECRET, body) == _hmac(body)
    assert signature_matches(SECRET, body, _hmac(body).upper())  # Fivetran: any case
    assert not signature_matches(SECRET, body, "")
    assert not signature_matches(b"", body, _hmac(body, b""))  # an empty secret never verifies


def test_dbt_correctly_signed_delivery_is_forwarded_unchanged(
    dbt: int, downstream: Downstream
) -> None:
    body = _example("dbt_job_run_completed_success.json")
    status, answer = _post(dbt, body, {**JSON, "Authorization": _hmac(body)})
    assert (status, answer) == (200, b"success")
    (seen,) = downstream.received
    assert seen["path"] == SECRET_PATH
    assert seen["body"] == body  # the raw bytes, not re-serialized
    assert seen["headers"]["Content-Type"] == "application/json"
    assert "Authorization" not in seen["headers"]


def test_fivetran_correctly_signed_delivery_is_forwarded(
    fivetran: int, downstream: Downstream
) -> None:
    body = _example("fivetran_sync_end_successful.json")
    headers = {**JSON, "X-Fivetran-Signature-256": _hmac(body).upper()}
    assert _post(fivetran, body, headers)[0] == 200
    assert [r["body"] for r in downstream.received] == [body]


@pytest.mark.parametrize(
    "headers",
    [
        {},  # unsigned
        {"Authorization": "0" * 64},  # wrong
        {"Authorization": "Bearer {good}"},  # dbt sends no scheme
        {"Authorization": "{other_secret}"},  # signed with another secret
        {"X-Fivetran-Signature-256": "{good}"},  # the other vendor's header
    ],
)
def test_dbt_rejects_unsigned_and_badly_signed(
    dbt: int, downstream: Downstream, headers: dict[str, str]
) -> None:
    body = _example("dbt_job_run_completed_success.json")
    values = {"good": _hmac(body), "other_secret": _hmac(body, b"another-secret")}
    sent = {k: v.format(**values) for k, v in headers.items()}
    status, answer = _post(dbt, body, {**JSON, **sent})
    assert status == 401, answer
    assert downstream.received == []


def test_a_signature_over_different_bytes_is_rejected(dbt: int, downstream: Downstream) -> None:
    original = _example("dbt_job_run_completed_success.json")
    reserialized = json.dumps(json.loads(original)).encode()  # same JSON, other bytes
    assert reserialized != original
    assert _post(dbt, reserialized, {**JSON, "Authorization": _hmac(original)})[0] == 401
    assert downstream.received == []


def test_fivetran_rejects_a_bad_signature(fivetran: int, downstream: Downstream) -> None:
    body = _example("fivetran_sync_end_successful.json")
    tampered = body.replace(b"SUCCESSFUL", b"SUCCESSFUL ")
    assert _post(fivetran, tampered, {**JSON, "X-Fivetran-Signature-256": _hmac(body)})[0] == 401
    assert _post(fivetran, body, {**JSON, "Authorization": _hmac(body)})[0] == 401
    assert downstream.received == []


def test_health_endpoint_and_other_methods(dbt: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", dbt, timeout=5)
    connection.request("GET", "/healthz")
    assert connection.getresponse().status == 200
    connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", dbt, timeout=5)
    connection.request("GET", SECRET_PATH)
    assert connection.getresponse().status == 405
    connection.close()


def test_oversized_content_length_is_refused_before_reading(
    dbt: int, downstream: Downstream
) -> None:
    head = (
        f"POST {SECRET_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {'a' * 64}\r\nContent-Length: {LIMIT + 1}\r\n\r\n"
    )
    answer = _raw(dbt, head.encode())  # no body sent: the verifier must not wait for it
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:80]
    assert downstream.received == []


def test_oversized_signed_body_is_refused(dbt: int, downstream: Downstream) -> None:
    body = b'{"pad": "' + b"x" * LIMIT + b'"}'
    assert _post(dbt, body, {**JSON, "Authorization": _hmac(body)})[0] == 413
    assert downstream.received == []


def _chunked(body: bytes, size: int = 4096) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def _chunked_request(body: bytes, signature: str) -> bytes:
    head = (
        f"POST {SECRET_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {signature}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    return head.encode() + _chunked(body)


def test_chunked_signed_body_is_verified_and_forwarded(dbt: int, downstream: Downstream) -> None:
    body = _example("dbt_job_run_completed_success.json")
    answer = _raw(dbt, _chunked_request(body, _hmac(body)))
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
    assert [r["body"] for r in downstream.received] == [body]


def test_oversized_chunked_body_is_refused(dbt: int, downstream: Downstream) -> None:
    body = b"y" * (LIMIT * 2)
    answer = _raw(dbt, _chunked_request(body, _hmac(body)))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:80]
    assert downstream.received == []


def test_content_length_promising_more_than_arrives_times_out(
    dbt: int, downstream: Downstream
) -> None:
    body = _example("dbt_job_run_completed_success.json")
    head = (
        f"POST {SECRET_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {_hmac(body)}\r\n"
        f"Content-Length: {len(body) + 100}\r\n\r\n"
    )
    started = time.monotonic()
    answer = _raw(dbt, head.encode() + body)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert time.monotonic() - started < 5  # read timeout is 1 s in this fixture
    assert downstream.received == []


def test_content_length_promising_less_checks_only_those_bytes(
    dbt: int, downstream: Downstream
) -> None:
    # The signature covers the whole body, but the header announces 10 bytes: the verifier
    # checks those 10 (401), closes the connection, and the rest is never read as a request.
    body = _example("dbt_job_run_completed_success.json")
    smuggled = f"POST {SECRET_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}"
    head = (
        f"POST {SECRET_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {_hmac(body)}\r\n"
        f"Content-Length: 10\r\n\r\n"
    )
    answer = _raw(dbt, head.encode() + body + smuggled.encode())
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:80]
    assert answer.count(b"HTTP/1.1 ") == 1
    assert downstream.received == []


def test_both_transfer_encoding_and_content_length_is_refused(dbt: int) -> None:
    body = _example("dbt_job_run_completed_success.json")
    head = (
        f"POST {SECRET_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {_hmac(body)}\r\n"
        f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert _raw(dbt, head.encode() + _chunked(body)).startswith(b"HTTP/1.1 400 ")


def test_slow_downstream_gives_504(tmp_path: Path, downstream: Downstream) -> None:
    downstream.delay_seconds = 1.5
    for port in _verifier(tmp_path, "dbt-cloud", downstream.port, upstream_timeout_seconds=0.3):
        body = _example("dbt_job_run_completed_success.json")
        started = time.monotonic()
        status, _ = _post(port, body, {**JSON, "Authorization": _hmac(body)})
        assert status == 504
        assert time.monotonic() - started < 1.4


def test_dead_downstream_gives_502(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    for port in _verifier(tmp_path, "fivetran", dead_port):
        body = _example("fivetran_sync_end_successful.json")
        status, _ = _post(port, body, {**JSON, "X-Fivetran-Signature-256": _hmac(body)})
        assert status == 502


def test_downstream_status_is_relayed(dbt: int, downstream: Downstream) -> None:
    downstream.status = 404  # e.g. the EventSource does not serve this path
    body = _example("dbt_job_run_completed_success.json")
    assert _post(dbt, body, {**JSON, "Authorization": _hmac(body)}, path="/guess")[0] == 404


def test_rotated_secret_takes_effect_without_restart(
    tmp_path: Path, dbt: int, downstream: Downstream
) -> None:
    body = _example("dbt_job_run_completed_success.json")
    (tmp_path / "secret").write_bytes(b"rotated-secret")
    assert _post(dbt, body, {**JSON, "Authorization": _hmac(body)})[0] == 401
    assert _post(dbt, body, {**JSON, "Authorization": _hmac(body, b"rotated-secret")})[0] == 200


def test_request_paths_are_not_logged(
    dbt: int, downstream: Downstream, capfd: pytest.CaptureFixture[str]
) -> None:
    body = _example("dbt_job_run_completed_success.json")
    _post(dbt, body, {**JSON, "Authorization": _hmac(body)})
    _post(dbt, body, {**JSON, "Authorization": "bad"})
    out, err = capfd.readouterr()
    assert SECRET_PATH.split("/")[-1] not in out + err
    assert '"status": 401' in err


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="vendor"):
        Config(vendor="github", secret_file="/x", upstream="http://a:1")
    with pytest.raises(ValueError, match="upstream"):
        Config(vendor="fivetran", secret_file="/x", upstream="https://a:1/")
