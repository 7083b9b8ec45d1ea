"""The custom checkov checks (CKV_MFB_1 TLS, CKV_MFB_2 authentication), run by checkov.

Good configurations pass (every reference stack runs them through ``checkov_failures``);
the deliberately bad ones below must fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metaflow_blueprints import checkov_checks
from metaflow_blueprints.blueprints.dbt_cloud import DbtCloudToMetaflow
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
from metaflow_blueprints.ingress.ingress import WebhookIngress
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.runtime import TerraformVariable
from tests.helpers import checkov_failures, synth

HOST = "hooks.example.com"


def _ours(failures: list[str]) -> list[str]:
    return sorted(f.split(" ", 1)[0] for f in failures if f.startswith("CKV_MFB_"))


def _generic(ingress: WebhookIngress, **extra: Any) -> dict[str, Any]:
    def build(stack: Any) -> None:
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        WebhookToMetaflow(
            stack, "hook", metaflow=metaflow, event="data.updated", ingress=ingress, **extra
        )

    return synth(build)


def _dbt(**extra: Any) -> dict[str, Any]:
    def build(stack: Any) -> None:
        metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
        secret = TerraformVariable(stack, "dbt_secret", type="string", sensitive=True)
        DbtCloudToMetaflow(
            stack,
            "dbt",
            metaflow=metaflow,
            event="dbt.job.completed",
            account_id="43786",
            signing_secret=secret.string_value,
            ingress=WebhookIngress(host=HOST),
            **extra,
        )

    return synth(build)


def test_plain_http_public_webhook_fails_tls(tmp_path: Path) -> None:
    assert _ours(checkov_failures(_generic(WebhookIngress(host=HOST, tls=False)), tmp_path)) == [
        "CKV_MFB_1"
    ]


def test_unauthenticated_public_webhook_fails_auth(tmp_path: Path) -> None:
    terraform = _generic(WebhookIngress(host=HOST), auth=None, allow_unauthenticated=True)
    assert _ours(checkov_failures(terraform, tmp_path)) == ["CKV_MFB_2"]


def test_both_at_once(tmp_path: Path) -> None:
    terraform = _generic(
        WebhookIngress(host=HOST, tls=False), auth=None, allow_unauthenticated=True
    )
    assert _ours(checkov_failures(terraform, tmp_path)) == ["CKV_MFB_1", "CKV_MFB_2"]


def test_vendor_webhook_without_its_verifier_fails_auth(tmp_path: Path) -> None:
    # Only the secret path guards it: checkov now says so (skip CKV_MFB_2 to accept it).
    assert _ours(checkov_failures(_dbt(verify_signature=False), tmp_path)) == ["CKV_MFB_2"]


def test_good_configurations_pass(tmp_path: Path) -> None:
    for terraform in (
        _generic(WebhookIngress(host=HOST)),
        _generic(WebhookIngress(host=HOST, tls="upstream")),
        _dbt(),
    ):
        assert _ours(checkov_failures(terraform, tmp_path)) == []


def _raw_ingress(tls: bool) -> dict[str, Any]:
    """A hand-written Terraform JSON (not made by this library) exposing an EventSource."""
    ingress: dict[str, Any] = {
        "metadata": {"name": "hook", "namespace": "argo-events"},
        "spec": {
            "rule": [
                {
                    "host": HOST,
                    "http": {
                        "path": [
                            {
                                "path": "/hook",
                                "path_type": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": "hook-eventsource-svc",
                                        "port": {"number": 12000},
                                    }
                                },
                            }
                        ]
                    },
                }
            ]
        },
    }
    if tls:
        ingress["spec"]["tls"] = [{"hosts": [HOST], "secret_name": "hook-tls"}]
    source = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventSource",
        "metadata": {"name": "hook", "namespace": "argo-events"},
        "spec": {"webhook": {"push": {"endpoint": "/hook", "port": "12000", "method": "POST"}}},
    }
    return {
        "resource": {
            "kubernetes_ingress_v1": {"hook": ingress},
            "kubernetes_manifest": {"hook": {"manifest": source}},
        }
    }


def _run_checkov_cli(directory: Path) -> list[str]:
    """checkov as a user runs it: -d on a directory, checks found via the package."""
    checkov = shutil.which("checkov", path=str(Path(sys.executable).parent))
    assert checkov is not None
    external = subprocess.run(
        [
            sys.executable,
            "-c",
            "import metaflow_blueprints.checkov_checks as c; print(c.directory())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert external == checkov_checks.directory()
    result = subprocess.run(
        [
            checkov,
            "-d",
            str(directory),
            "--framework",
            "terraform_json",
            "-o",
            "json",
            "--quiet",
            "--skip-download",
            "--external-checks-dir",
            external,
            "-c",
            "CKV_MFB_1,CKV_MFB_2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd="/",
    )
    report = json.loads(result.stdout)
    return sorted(c["check_id"] for c in report["results"]["failed_checks"])


@pytest.mark.parametrize(
    ("tls", "expected"), [(False, ["CKV_MFB_1", "CKV_MFB_2"]), (True, ["CKV_MFB_2"])]
)
def test_hand_written_terraform_with_checkov_d(
    tmp_path: Path, tls: bool, expected: list[str]
) -> None:
    (tmp_path / "main.tf.json").write_text(json.dumps(_raw_ingress(tls)))
    assert _run_checkov_cli(tmp_path) == expected
