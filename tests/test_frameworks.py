"""Two frameworks, one seam: selection, provider names and constraints, no leaks of names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from metaflow_blueprints import runtime
from metaflow_blueprints.runtime import (
    FRAMEWORK,
    FRAMEWORKS,
    PROVIDER_SOURCES,
    PROVIDERS,
    FrameworkError,
    provider_module,
    select_framework,
    synth_stack,
)
from tests.helpers import REPO

BOTH = {"cdktf", "cdktn"}


def test_the_environment_variable_chooses_when_both_are_installed() -> None:
    for name in BOTH:
        env = {"METAFLOW_BLUEPRINTS_FRAMEWORK": name}
        assert select_framework(env, imported=(), installed=BOTH).name == name
    assert select_framework({"METAFLOW_BLUEPRINTS_FRAMEWORK": " CDKTN "}, (), BOTH).name == "cdktn"


def test_without_the_variable_an_imported_framework_wins_then_the_only_one_then_cdktf() -> None:
    assert select_framework({}, imported={"cdktn"}, installed=BOTH).name == "cdktn"
    assert select_framework({}, imported=(), installed={"cdktn"}).name == "cdktn"
    assert select_framework({}, imported=(), installed=BOTH).name == "cdktf"
    # a framework imported but not installed (a stray module) does not count
    assert select_framework({}, imported={"cdktn"}, installed={"cdktf"}).name == "cdktf"


def test_clear_errors_when_no_framework_or_the_wrong_one() -> None:
    with pytest.raises(FrameworkError, match=r"neither cdktf nor cdktn .*\[cdktf\]"):
        select_framework({}, imported=(), installed=())
    with pytest.raises(FrameworkError, match=r"'cdktn', but cdktn is not installed.*\[cdktn\]"):
        select_framework({"METAFLOW_BLUEPRINTS_FRAMEWORK": "cdktn"}, (), {"cdktf"})
    with pytest.raises(FrameworkError, match="'terraform': unknown framework; use one of cdktf"):
        select_framework({"METAFLOW_BLUEPRINTS_FRAMEWORK": "terraform"}, (), BOTH)


def test_provider_packages_follow_the_framework_prefix_and_are_installed() -> None:
    import importlib.util

    assert set(PROVIDERS) == set(PROVIDER_SOURCES)
    prefix = {"cdktf": "cdktf_cdktf_provider_", "cdktn": "cdktn_provider_"}[FRAMEWORK.name]
    for name, package in PROVIDERS.items():
        assert package == prefix + name
        assert importlib.util.find_spec(package) is not None, package
    assert FRAMEWORKS["cdktn"].provider_distribution("helm") == "cdktn-provider-helm"
    assert FRAMEWORKS["cdktf"].provider_package("helm") == "cdktf_cdktf_provider_helm"


def test_unknown_or_missing_provider_bindings_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="unknown provider 'azure'; known providers: aws"):
        provider_module("azure", "provider")
    monkeypatch.setitem(PROVIDERS, "nothere", FRAMEWORK.provider_package("nothere"))
    with pytest.raises(FrameworkError, match=r"not installed; pip install .*-provider-nothere"):
        provider_module("nothere", "provider")


def _admits(constraint: str, version: str) -> bool:
    """Terraform's ``~> X.Y``: >= X.Y and < (X+1).0."""
    assert constraint.startswith("~> "), constraint
    bound = tuple(int(p) for p in constraint[3:].split("."))
    release = tuple(int(p) for p in version.split("."))
    return release[: len(bound)] >= bound and release[0] == bound[0]


def test_provider_constraints_match_the_version_the_framework_pins_for_the_bindings() -> None:
    # The framework itself writes, in every stack, the exact provider version its
    # bindings were generated for: our constraint must be that release's major.minor.
    app = runtime.App()
    stack = runtime.TerraformStack(app, "versions")
    provider_module("aws", "provider").AwsProvider(stack, "aws", region="us-east-1")
    provider_module("google", "provider").GoogleProvider(stack, "google", project="p")
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "kubernetes")
    provider_module("random", "provider").RandomProvider(stack, "random")
    provider_module("helm", "provider").HelmProvider(stack, "helm")
    pinned = synth_stack(stack)["terraform"]["required_providers"]
    assert set(pinned) == {"aws", "google", "helm", "kubernetes", "random"}
    for name in pinned:
        source, constraint = PROVIDER_SOURCES[name]
        version = pinned[name]["version"]
        assert _admits(constraint, version), (name, constraint, version)
        assert constraint == "~> " + ".".join(version.split(".")[:2]), (name, constraint)
        assert source.endswith("/" + pinned[name]["source"].split("/")[-1]), (name, source)


def test_constraints_fall_back_without_bindings_metadata() -> None:
    fallback = ("example/thing", ">= 1.0")
    assert runtime.binding_requirement("no-such-provider", fallback) == fallback


# --- nothing but the seam names a framework package ----------------------------------------

FRAMEWORK_NAMES = ("cdktf", "cdktn")
PROVIDER_PREFIXES = ("cdktf_cdktf_provider", "cdktn_provider")
SEAM = {"runtime.py"}


def _leaks(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        for module in modules:
            top = module.split(".")[0]
            if top in FRAMEWORK_NAMES or top.startswith(PROVIDER_PREFIXES):
                found.append(f"{path.name}:{node.lineno}: import {module}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and any(prefix in node.value for prefix in PROVIDER_PREFIXES)
        ):
            found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    return found


def test_only_the_seam_imports_or_names_framework_packages() -> None:
    library = REPO / "constructs" / "metaflow_blueprints"
    leaks = [
        leak
        for path in sorted(library.rglob("*.py"))
        if path.name not in SEAM or path.parent != library
        for leak in _leaks(path)
    ]
    assert not leaks, leaks
    # the check sees what it is meant to see
    assert any("import cdktf" in leak for leak in _leaks(library / "runtime.py"))
    assert _leaks(library / "runtime.py") != []


def test_nested_block_takes_the_shape_the_installed_bindings_want() -> None:
    ns = provider_module("kubernetes", "namespace_v1")
    secret = provider_module("kubernetes", "secret_v1")
    meta = ns.NamespaceV1Metadata(name="events")
    shaped = runtime.nested_block(ns.NamespaceV1, "metadata", meta)
    # kubernetes 3.x (cdktn) made namespace_v1's metadata a list; 2.x (cdktf) one object
    assert shaped == ([meta] if FRAMEWORK.name == "cdktn" else meta)
    secret_meta = secret.SecretV1Metadata(name="s")
    assert runtime.nested_block(secret.SecretV1, "metadata", secret_meta) is secret_meta
    stack = runtime.TerraformStack(runtime.App(), "blocks")
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "kubernetes")
    ns.NamespaceV1(stack, "ns", metadata=shaped)  # the binding accepts it (jsii checks)
    (body,) = synth_stack(stack)["resource"]["kubernetes_namespace_v1"].values()
    assert body["metadata"] in ({"name": "events"}, [{"name": "events"}])
