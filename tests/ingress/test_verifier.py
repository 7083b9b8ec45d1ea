"""SignatureVerifier: the ConfigMap'd source runs standalone; the pods are locked down.

The end-to-end test takes the verifier source out of the synthesized ConfigMap and the
environment out of the synthesized Deployment, starts it with the container's own command
line (``python -I -B``, a fresh interpreter that sees neither this repo nor site-packages'
PYTHONPATH), and sends it a signed dbt Cloud delivery over loopback.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress import verifier_app
from metaflow_blueprints.ingress.ingress import WebhookIngress
from metaflow_blueprints.ingress.verifier import APP_FILE, check_image
from metaflow_blueprints.metaflow_events import MetaflowEvents
from tests.helpers import REPO, resources, synth

EVENTS = REPO / "examples" / "events" / "vendor_webhooks"


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    def build(stack: Any) -> None:
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        DbtCloudToMetaflow(
            stack,
            "dbt",
            metaflow=metaflow,
            event="dbt.job.completed",
            account_id="43786",
            signing_secret=SecretKeyRef("dbt-hmac", "secret"),
            ingress=WebhookIngress(host="hooks.example.com"),
        )

    return synth(build)


def _pod(terraform: dict[str, Any]) -> dict[str, Any]:
    (deployment,) = resources(terraform, "kubernetes_deployment_v1").values()
    return deployment["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_the_config_map_ships_the_installed_source(terraform: dict[str, Any]) -> None:
    (config_map,) = resources(terraform, "kubernetes_config_map_v1").values()
    assert config_map["data"] == {APP_FILE: Path(verifier_app.__file__).read_text()}


def test_the_source_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(verifier_app.__file__).read_text())
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert modules - {"__future__"} <= set(sys.stdlib_module_names), modules


def test_pods_are_locked_down(terraform: dict[str, Any]) -> None:
    pod = _pod(terraform)
    (container,) = pod["container"]
    assert pod["automount_service_account_token"] is False
    assert pod["security_context"]["run_as_non_root"] is True
    context = container["security_context"]
    assert context["run_as_non_root"] is True and int(context["run_as_user"]) > 0
    assert context["read_only_root_filesystem"] is True
    assert context["allow_privilege_escalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert context["seccomp_profile"]["type"] == "RuntimeDefault"
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert container["liveness_probe"]["http_get"]["path"] == "/healthz"
    assert container["readiness_probe"]["http_get"]["path"] == "/healthz"
    assert "@sha256:" in container["image"]
    assert all(mount["read_only"] for mount in container["volume_mount"])


def test_only_the_verifier_reaches_the_event_source(terraform: dict[str, Any]) -> None:
    (policy,) = resources(terraform, "kubernetes_network_policy_v1").values()
    (deployment,) = resources(terraform, "kubernetes_deployment_v1").values()
    spec = policy["spec"]
    assert spec["pod_selector"]["match_labels"] == {"eventsource-name": "test-dbt"}
    assert spec["policy_types"] == ["Ingress"]
    (rule,) = spec["ingress"]
    (source,) = rule["from"]
    selector = source["pod_selector"]["match_labels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert rule["ports"] == [{"port": "12000", "protocol": "TCP"}]


def test_in_cluster_url_goes_through_the_verifier(terraform: dict[str, Any]) -> None:
    urls = [v["value"] for k, v in terraform["output"].items() if k.startswith("dbt_url")]
    assert len(urls) == 1 and urls[0].startswith("http://test-dbt-verifier.metaflow.svc:8080/")


@pytest.mark.parametrize(
    "image", ["python", "python:latest", "Python:3.12", "python:3.12@sha256:abc", ""]
)
def test_unpinned_or_bad_images_are_refused(image: str) -> None:
    with pytest.raises(BlueprintError) as info:
        check_image(image)
    assert info.value.field == "verifier_image"


def test_pinned_images_are_accepted() -> None:
    check_image("python:3.12.8-slim")
    check_image("registry.example.com/mirror/python:3.12-slim@sha256:" + "a" * 64)


class _Downstream(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"success")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_synthesized_verifier_runs_standalone(
    terraform: dict[str, Any], tmp_path: Path
) -> None:
    (config_map,) = resources(terraform, "kubernetes_config_map_v1").values()
    app = tmp_path / "app" / APP_FILE
    app.parent.mkdir()
    app.write_text(config_map["data"][APP_FILE])
    secret = b"dbt-hmac-secret-for-the-standalone-test"
    (tmp_path / "secret").write_bytes(secret)
    downstream = ThreadingHTTPServer(("127.0.0.1", 0), _Downstream)
    threading.Thread(target=downstream.serve_forever, daemon=True).start()

    (container,) = _pod(terraform)["container"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["VERIFIER_UPSTREAM"] == "http://test-dbt-eventsource-svc.metaflow.svc:12000"
    port = _free_port()
    env.update(
        VERIFIER_SECRET_FILE=str(tmp_path / "secret"),
        VERIFIER_UPSTREAM=f"http://127.0.0.1:{downstream.server_address[1]}",
        VERIFIER_PORT=str(port),
        PATH=os.environ.get("PATH", ""),
    )
    command = [sys.executable, *container["command"][1:-1], str(app)]
    assert container["command"][1:-1] == ["-I", "-B"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "verifier did not start"
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        body = (EVENTS / "dbt_job_run_completed_success.json").read_bytes()
        signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
        for headers, expected in (
            ({"Authorization": signature}, 200),
            ({"Authorization": signature[::-1]}, 401),
            ({}, 401),
        ):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/test-dbt/abc", body=body, headers=headers)
            assert connection.getresponse().status == expected
        assert _Downstream.received == [body]
    finally:
        process.terminate()
        process.wait(timeout=10)
        downstream.shutdown()
        downstream.server_close()
