"""Test helpers shared by every test module (imported as ``tests.helpers``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MFB_SHARED_DIR", REPO.parent / "shared")).resolve()
SCHEMA_DIR = SHARED / "argo-events" / "jsonschema"
EXAMPLES_DIR = SHARED / "argo-events" / "examples"


def require_shared() -> Path:
    """Skip the calling test when ../shared (upstream Argo schema and examples) is absent."""
    if not (SCHEMA_DIR / "schema.json").exists():
        pytest.skip(f"upstream Argo Events schema not found at {SCHEMA_DIR} (../shared is absent)")
    return SHARED


def synth(build: Callable[[Any], None], *, stack_id: str = "test") -> dict[str, Any]:
    """Build a stack with ``build(stack)`` (providers added) and return its Terraform JSON."""
    from metaflow_blueprints.runtime import App, TerraformStack, provider_module, synth_stack

    app = App()
    stack = TerraformStack(app, stack_id)
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "kubernetes")
    provider_module("random", "provider").RandomProvider(stack, "random")
    build(stack)
    return synth_stack(stack)


def single_block(value: Any) -> Any:
    """A block the schema allows once: an object on cdktf's kubernetes 2.x bindings, a
    one-element list on cdktn's 3.x for some resources (see ``runtime.nested_block``)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def manifests(terraform: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    """All kubernetes_manifest bodies (optionally of one ``kind``)."""
    found = [
        r["manifest"] for r in terraform.get("resource", {}).get("kubernetes_manifest", {}).values()
    ]
    return [m for m in found if kind is None or m.get("kind") == kind]


def resources(terraform: dict[str, Any], type_: str) -> dict[str, Any]:
    """Resources of one Terraform type, by logical id."""
    return dict(terraform.get("resource", {}).get(type_, {}))


def checkov_failures(
    terraform: dict[str, Any], tmp_path: Path, skip: dict[str, str] | None = None
) -> list[str]:
    """Run checkov (framework terraform_json) on ``terraform``; return failed check lines.

    ``skip`` maps check ids to the reason they do not apply: every skip is justified here.
    The custom checks of :mod:`metaflow_blueprints.checkov_checks` run too.
    """
    from metaflow_blueprints import checkov_checks

    checkov = shutil.which("checkov", path=str(Path(sys.executable).parent))
    if checkov is None:
        pytest.fail("checkov is not installed in the test environment")
    target = tmp_path / "stack.tf.json"
    target.write_text(json.dumps(terraform))
    command = [
        checkov,
        "-f",
        str(target),
        "--framework",
        "terraform_json",
        "-o",
        "json",
        "--quiet",
        "--skip-download",
        # The library's own checks (Ingress in front of Argo webhooks: TLS, authentication).
        "--external-checks-dir",
        checkov_checks.directory(),
    ]
    if skip:
        command += ["--skip-check", ",".join(sorted(skip))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if not result.stdout.strip():
        pytest.fail(f"checkov produced no report: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failures: list[str] = []
    for item in reports:
        if "results" not in item:
            continue
        for check in item["results"].get("failed_checks", []):
            failures.append(f"{check['check_id']} {check['resource']}: {check['check_name']}")
    return failures


def run_python(
    code: str, *, timeout: float = 300, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in a fresh process (this interpreter, the repo as cwd, this
    process's environment without the variables named in ``unset`` and with ``env`` added);
    fails the test on a non-zero exit."""
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**environ, **env},
        timeout=timeout,
    )


def require_engine(name: str, found: object) -> None:
    """Skip the calling test when engine ``name`` is not ``found`` (falsy), with the reason.

    CI sets ``MFB_REQUIRE_ENGINES=1`` (``.ci/run``): there a missing engine fails the test
    instead, so a machine that lost one cannot pass silently.
    """
    if found:
        return
    reason = f"{name} is not installed on this machine"
    if os.environ.get("MFB_REQUIRE_ENGINES") == "1":
        pytest.fail(f"{reason}, and MFB_REQUIRE_ENGINES=1 requires it")
    pytest.skip(reason)


def __getattr__(name: str) -> Any:
    """``IRSA``: an IRSA identity for AWS blueprint tests, built on first use (loads cdktf)."""
    if name != "IRSA":
        raise AttributeError(name)
    from metaflow_blueprints.aws.identity import SqsConsumer

    value = SqsConsumer.irsa(
        oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        issuer="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
    )
    globals()["IRSA"] = value
    return value


def with_aws(build: Callable[[Any, Any], None]) -> Callable[[Any], None]:
    """Wrap ``build(stack, metaflow)`` for :func:`synth`: AWS provider + ``MetaflowEvents``."""

    def wrapped(stack: Any) -> None:
        from metaflow_blueprints.metaflow_events import MetaflowEvents
        from metaflow_blueprints.runtime import provider_module

        provider_module("aws", "provider").AwsProvider(stack, "aws", region="us-east-1")
        build(stack, MetaflowEvents(stack, "metaflow", namespace="metaflow"))

    return wrapped
