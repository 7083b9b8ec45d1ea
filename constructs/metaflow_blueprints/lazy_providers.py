"""Lazy prebuilt provider packages for the whole process, on both sides of jsii.

A prebuilt provider package (``cdktf_cdktf_provider_aws``, ``cdktn_provider_aws``, ...) is
slow twice over:

* **Python**: the cdktf packages' ``__init__`` imports every one of their ~2,000 resource
  modules (about 9 s for AWS).
* **Node.js**: loading the package's jsii assembly makes the jsii kernel ``require`` the npm
  package's ``lib/index.js``, which requires every resource module again, on both cdktf and
  CDK Terrain (cdktn); this is most of a synth's time.

:func:`install` (run by ``import metaflow_blueprints``, so by any import of the library) fixes
both for every later import in the process:

* an import hook (:class:`LazyProviderFinder`) loads a provider package as a lazy module
  whose submodules are imported when first asked for, so ``from
  cdktf_cdktf_provider_aws.provider import AwsProvider`` loads only that submodule, and
  ``import cdktf_cdktf_provider_aws`` followed by ``cdktf_cdktf_provider_aws.sqs_queue``
  still works (the module's ``__getattr__`` imports ``sqs_queue`` then);
* each resource module of such a lazy package gets memoised argument type hints and the
  typeguard-free path for settled checks (:func:`metaflow_blueprints.jsii_hints.memoize`)
  as it loads, so a user's own provider classes cost what the library's do;
* ``NODE_OPTIONS`` gets ``--require`` of ``lazy_provider_index.cjs``, which makes the same
  change to the provider's ``lib/index.js`` when the jsii kernel (a child Node.js process)
  compiles it: each generated ``exports.x = require("./x")`` line becomes a getter that
  requires its module on first use. Only ``node_modules/@cdktf|@cdktn/provider-*/lib/index.js``
  is touched; any other file, or line, is compiled as it is.

Both must be in place before the provider package or the jsii kernel is first used: import
``metaflow_blueprints`` before ``cdktf``/``cdktn`` and the provider packages. Synthesized
output is byte-identical either way (tested). ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS=1`` turns
all of it off (every package loads as its authors wrote it). This module imports neither jsii
nor a framework, so installing costs well under a millisecond.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import re
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from metaflow_blueprints import jsii_hints
from metaflow_blueprints.import_hooks import ThenLoader

EAGER_ENV = "METAFLOW_BLUEPRINTS_EAGER_PROVIDERS"

#: Top-level packages of prebuilt provider bindings on either framework (``<prefix>provider_<x>``,
#: see ``runtime.FRAMEWORKS``); :class:`LazyProviderFinder` also requires a jsii ``_jsii`` dir.
PROVIDER_PACKAGE = re.compile(r"[a-z][a-z0-9_]*_provider_[a-z0-9_]+")

#: The Node.js preload that makes the provider's ``lib/index.js`` lazy inside the kernel.
NODE_PRELOAD = Path(__file__).with_name("lazy_provider_index.cjs")


def eager() -> bool:
    """True when ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS`` asks for plain, eager packages."""
    return os.environ.get(EAGER_ENV, "") not in ("", "0", "false")


def submodule_names(path: Sequence[str]) -> list[str]:
    """The public submodules of a provider package (what its eager ``__all__`` lists)."""
    names: set[str] = set()
    for directory in path:
        for entry in os.scandir(directory):
            if (
                entry.is_dir()
                and not entry.name.startswith("_")
                and os.path.exists(os.path.join(entry.path, "__init__.py"))
            ):
                names.add(entry.name)
    return sorted(names)


class LazyProviderLoader:
    """Executes a provider package as a lazy module instead of running its ``__init__``.

    A plain class (the loader protocol) rather than ``importlib.abc.Loader``: importing
    ``importlib.abc`` pulls in ``importlib.resources``, ``tempfile`` and ``lzma``.
    """

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        package = module.__name__
        names = submodule_names(list(module.__path__))
        known = frozenset(names)

        def __getattr__(name: str) -> Any:
            if name in known:
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")

        def __dir__() -> list[str]:
            return sorted(known | set(module.__dict__))

        module.__all__ = names  # type: ignore[attr-defined]
        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        module.__dir__ = __dir__  # type: ignore[method-assign]
        if module.__spec__ is not None:  # marks it for LazyProviderFinder
            module.__spec__.loader_state = _LAZY


#: ``loader_state`` of the packages :class:`LazyProviderLoader` made lazy.
_LAZY = "metaflow_blueprints.lazy_providers"


class LazyProviderFinder:
    """Finds prebuilt provider packages and hands them to :class:`LazyProviderLoader`."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None:
            return self._resource_module(fullname, path)
        if not PROVIDER_PACKAGE.fullmatch(fullname) or eager():
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname)
        if spec is None or not spec.submodule_search_locations:
            return None
        if not any(Path(p, "_jsii").is_dir() for p in spec.submodule_search_locations):
            return None  # not a jsii provider binding: leave it alone
        spec.loader = LazyProviderLoader()  # type: ignore[assignment]
        return spec

    @staticmethod
    def _resource_module(
        fullname: str, path: Sequence[str]
    ) -> importlib.machinery.ModuleSpec | None:
        """``<lazy package>.<resource>``: found as usual, its hints memoised once it ran."""
        package, _, name = fullname.rpartition(".")
        parent = sys.modules.get(package)
        parent_spec = getattr(parent, "__spec__", None)
        if getattr(parent_spec, "loader_state", None) != _LAZY or name.startswith("_"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = ThenLoader(spec.loader, jsii_hints.memoize)  # type: ignore[assignment]
        return spec


#: What :func:`install` adds to ``NODE_OPTIONS`` (read by Node.js when the kernel starts).
NODE_FLAG = f'--require "{NODE_PRELOAD}"'


def _set_node_preload(enabled: bool) -> None:
    """Add or remove :data:`NODE_FLAG` in ``NODE_OPTIONS`` (a parent may have set it)."""
    current = os.environ.get("NODE_OPTIONS", "")
    rest = " ".join(current.replace(NODE_FLAG, " ").split())
    wanted = f"{rest} {NODE_FLAG}".strip() if enabled else rest
    if wanted:
        os.environ["NODE_OPTIONS"] = wanted
    else:
        os.environ.pop("NODE_OPTIONS", None)


def install() -> None:
    """Make later imports of provider packages, and the jsii kernel's loads, lazy.

    With ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS`` set it removes instead what a lazy parent
    process may have passed down in ``NODE_OPTIONS``.
    """
    if eager():
        _set_node_preload(False)
        return
    if not any(isinstance(finder, LazyProviderFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, LazyProviderFinder())
    _set_node_preload(True)
