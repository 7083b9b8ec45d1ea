"""A stdlib-only HTTP hop that checks a vendor's webhook signature, then forwards the request.

It runs unchanged on a stock Python image (the construct ships this file in a ConfigMap),
so it imports nothing outside the standard library. For each ``POST``:

1. A body larger than ``max_body_bytes`` is refused with 413, by ``Content-Length`` before
   reading, or while reading a chunked body. A ``Content-Length`` that promises more than
   arrives ends in 408 after ``read_timeout_seconds``; one that promises less is checked
   over the bytes it announced and the connection is closed (no request smuggling).
2. The signature header must hold the lowercase-or-uppercase hex of
   ``HMAC-SHA256(secret, raw body)``: dbt Cloud sends it as the whole ``Authorization``
   value, Fivetran as ``X-Fivetran-Signature-256``. Missing or wrong: 401. The comparison
   is ``hmac.compare_digest`` (constant time). The secret file is re-read on every request,
   so a rotated Kubernetes Secret takes effect without a restart.
3. A good request is forwarded to ``upstream`` + the request path with the original body
   and ``Content-Type`` (the signature header is not forwarded); the downstream status and
   body are returned. Downstream unreachable: 502; slower than
   ``upstream_timeout_seconds``: 504.

``GET /healthz`` answers 200 for probes. Request paths (the secret path is one) are never
logged. Configuration comes from environment variables (see :meth:`Config.from_env`).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: Vendor -> the request header that carries its signature.
SIGNATURE_HEADERS: dict[str, str] = {
    "dbt-cloud": "Authorization",
    "fivetran": "X-Fivetran-Signature-256",
}
HEALTH_PATH = "/healthz"
#: Most bytes of a downstream answer relayed back to the caller.
MAX_RELAYED_BYTES = 64 * 1024
_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 32


def sign(secret: bytes, body: bytes) -> str:
    """Lowercase hex ``HMAC-SHA256(secret, body)``: what both vendors send."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, body: bytes, presented: str | None) -> bool:
    """Constant-time check of a presented hex signature (case-insensitive, trimmed)."""
    if not secret or not presented:
        return False
    candidate = presented.strip().lower()
    if not candidate.isascii():
        return False
    return hmac.compare_digest(sign(secret, body), candidate)


@dataclass(frozen=True)
class Config:
    """Where to listen, what to check, where to forward."""

    vendor: str
    secret_file: str
    upstream: str
    port: int = 8080
    host: str = "0.0.0.0"
    max_body_bytes: int = 1024 * 1024
    upstream_timeout_seconds: float = 8.0
    read_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.vendor not in SIGNATURE_HEADERS:
            raise ValueError(f"vendor {self.vendor!r}: expected one of {sorted(SIGNATURE_HEADERS)}")
        if not self.upstream.startswith("http://") or self.upstream.endswith("/"):
            raise ValueError(f"upstream {self.upstream!r}: expected http://host:port, no '/'")
        if self.max_body_bytes <= 0 or self.upstream_timeout_seconds <= 0:
            raise ValueError("max_body_bytes and upstream_timeout_seconds must be > 0")

    @property
    def signature_header(self) -> str:
        return SIGNATURE_HEADERS[self.vendor]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """``VERIFIER_VENDOR``, ``VERIFIER_SECRET_FILE``, ``VERIFIER_UPSTREAM`` (required);
        ``VERIFIER_PORT``, ``VERIFIER_MAX_BODY_BYTES``, ``VERIFIER_UPSTREAM_TIMEOUT_SECONDS``,
        ``VERIFIER_READ_TIMEOUT_SECONDS`` (optional)."""
        return cls(
            vendor=env["VERIFIER_VENDOR"],
            secret_file=env["VERIFIER_SECRET_FILE"],
            upstream=env["VERIFIER_UPSTREAM"],
            port=int(env.get("VERIFIER_PORT", "8080")),
            max_body_bytes=int(env.get("VERIFIER_MAX_BODY_BYTES", str(1024 * 1024))),
            upstream_timeout_seconds=float(env.get("VERIFIER_UPSTREAM_TIMEOUT_SECONDS", "8")),
            read_timeout_seconds=float(env.get("VERIFIER_READ_TIMEOUT_SECONDS", "10")),
        )


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is relayed as the downstream's answer, never followed


def _opener() -> urllib.request.OpenerDirector:
    # No proxies from the environment: the downstream is an in-cluster Service.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


class VerifierHandler(BaseHTTPRequestHandler):
    """One request: limits, signature, forward. ``config`` and ``timeout`` (socket reads)
    are set by :func:`make_server`."""

    config: Config
    protocol_version = "HTTP/1.1"
    server_version = "mfb-verifier"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Never log the request line: the path is a secret."""

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        sys.stderr.write(json.dumps({"vendor": self.config.vendor, "status": status}) + "\n")
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _error(self, status: int, reason: str) -> None:
        self._answer(status, json.dumps({"error": reason}).encode())
        self.wfile.flush()
        self._drain()

    def _drain(self) -> None:
        """Read (and drop) what the caller still sends, up to the body limit, for a short
        while: closing a socket with unread data resets it, which can destroy the answer."""
        remaining = self.config.max_body_bytes
        try:
            self.connection.settimeout(0.2)
            while remaining > 0:
                data = self.rfile.read1(min(65536, remaining))
                if not data:
                    return
                remaining -= len(data)
        except OSError:
            return

    def do_GET(self) -> None:
        if self.path == HEALTH_PATH:
            self._answer(200, b"ok\n", "text/plain")
        else:
            self._error(405, "only POST is forwarded")

    def do_PUT(self) -> None:
        self._error(405, "only POST is forwarded")

    do_DELETE = do_PATCH = do_HEAD = do_PUT

    def do_POST(self) -> None:
        try:
            if not self.path.startswith("/") or self.path.startswith("//"):
                raise _Refused(400, "request target must be a path")
            if not self.headers.get(self.config.signature_header):
                raise _Refused(401, "missing signature")
            body = self._read_body()
            secret = Path(self.config.secret_file).read_bytes()
            if not signature_matches(secret, body, self.headers.get(self.config.signature_header)):
                raise _Refused(401, "bad signature")
            self._forward(body)
        except _Refused as refused:
            self._error(refused.status, refused.reason)
        except TimeoutError:
            self._error(408, "request body not received in time")

    def _read_body(self) -> bytes:
        limit = self.config.max_body_bytes
        encoding = self.headers.get("Transfer-Encoding")
        length = self.headers.get("Content-Length")
        if encoding is not None:
            if length is not None:
                raise _Refused(400, "both Transfer-Encoding and Content-Length")
            if encoding.strip().lower() != "chunked":
                raise _Refused(501, "only chunked transfer encoding is supported")
            return self._read_chunked(limit)
        if length is None:
            raise _Refused(411, "Content-Length required")
        if not length.strip().isdigit():
            raise _Refused(400, "bad Content-Length")
        size = int(length)
        if size > limit:
            raise _Refused(413, f"body larger than {limit} bytes")
        body = self.rfile.read(size)
        if len(body) != size:
            raise _Refused(400, "body shorter than Content-Length")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            if not line.endswith(b"\n"):
                raise _Refused(400, "bad chunk size line")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _Refused(400, "bad chunk size") from None
            if size < 0:
                raise _Refused(400, "bad chunk size")
            if size == 0:
                break
            total += size
            if total > limit:
                raise _Refused(413, f"body larger than {limit} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n"):
                raise _Refused(400, "truncated chunk")
            parts.append(chunk)
        for _ in range(_MAX_TRAILERS):
            if self.rfile.readline(_MAX_CHUNK_LINE) in (b"\r\n", b"\n", b""):
                return b"".join(parts)
        raise _Refused(400, "too many trailers")

    def _forward(self, body: bytes) -> None:
        request = urllib.request.Request(
            self.config.upstream + self.path,
            data=body,
            method="POST",
            headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
        )
        try:
            with _opener().open(request, timeout=self.config.upstream_timeout_seconds) as reply:
                status = reply.status
                answer = reply.read(MAX_RELAYED_BYTES)
                content_type = reply.headers.get("Content-Type", "text/plain")
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read(MAX_RELAYED_BYTES)
            content_type = error.headers.get("Content-Type", "text/plain")
        except TimeoutError:
            raise _Refused(504, "downstream timed out") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise _Refused(504, "downstream timed out") from None
            raise _Refused(502, "downstream unreachable") from None
        except (ConnectionError, http.client.HTTPException):
            raise _Refused(502, "downstream failed") from None
        self._answer(status, answer, content_type)


def make_server(config: Config) -> ThreadingHTTPServer:
    """A bound (not yet serving) threaded server for ``config``."""
    # ``timeout`` is StreamRequestHandler's socket timeout, applied to every read.
    attributes = {"config": config, "timeout": config.read_timeout_seconds}
    handler = type("ConfiguredVerifierHandler", (VerifierHandler,), attributes)
    server = ThreadingHTTPServer((config.host, config.port), handler)
    server.daemon_threads = True
    return server


def main() -> None:  # pragma: no cover - the container entry point
    config = Config.from_env(os.environ)
    server = make_server(config)
    sys.stderr.write(f"verifier for {config.vendor} listening on port {config.port}\n")
    server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
