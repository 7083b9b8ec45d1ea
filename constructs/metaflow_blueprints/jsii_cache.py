"""Warm jsii's package cache: ``python -m metaflow_blueprints.jsii_cache`` (once per venv).

The jsii kernel (1.142) extracts each assembly tarball once into its package cache
(``JSII_RUNTIME_PACKAGE_CACHE_ROOT``, default ``~/.cache/aws/jsii/package-cache``) and, the
first time, parses the whole ``.jsii`` file (130-155 MB for the AWS and Google providers)
while a worker thread writes a *runtime index* beside it, so later processes read only the
types they use. The worker dies with the process: a short synth, or one on a busy machine,
ends before a large provider's index is written, and every later synth parses the whole
file again (about 4 s for cdktn's Google provider here). This module loads every installed
provider assembly and waits until jsii has written their indexes. ``make`` runs it once per
virtualenv; users can run it once after installing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
from pathlib import Path

#: The file jsii writes last when it has built an assembly's runtime index.
INDEX_MANIFEST = ".jsii.runtime.v1.json"


def cache_root() -> Path:
    """jsii's package cache directory on this machine (Linux and macOS layouts)."""
    configured = os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT")
    if configured:
        return Path(configured)
    if sys.platform == "darwin":  # pragma: no cover - not the CI platform
        return Path.home() / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache"
    return Path.home() / ".cache" / "aws" / "jsii" / "package-cache"


def unindexed(assemblies: list[tuple[str, str]], root: Path | None = None) -> list[Path]:
    """Cache entries of ``(name, version)`` assemblies that have no runtime index yet."""
    root = root or cache_root()
    missing: list[Path] = []
    for name, version in assemblies:
        entries = [p.parent for p in (root / name / version).glob("*/.jsii")]
        missing += [entry for entry in entries if not (entry / INDEX_MANIFEST).exists()]
        if not entries:
            missing.append(root / name / version)
    return missing


def warm(timeout_seconds: float = 900.0) -> list[tuple[str, str]]:
    """Load every installed provider assembly; wait for jsii to index them. Returns them."""
    from metaflow_blueprints import runtime

    assemblies: list[tuple[str, str]] = []
    for package in runtime.PROVIDERS.values():
        if importlib.util.find_spec(package) is None:
            continue
        assembly = importlib.import_module(f"{package}._jsii").__jsii_assembly__
        assemblies.append((assembly.name, assembly.version))
    deadline = time.monotonic() + timeout_seconds
    while unindexed(assemblies) and time.monotonic() < deadline:
        time.sleep(0.5)
    return assemblies


def main() -> None:
    """Warm the cache and say what is indexed (exit 1 if an index is still missing)."""
    if os.environ.get("JSII_RUNTIME_PACKAGE_CACHE", "enabled").lower() != "enabled":
        print("jsii package cache disabled (JSII_RUNTIME_PACKAGE_CACHE); nothing to warm")
        return
    start = time.monotonic()
    assemblies = warm()
    missing = unindexed(assemblies)
    names = ", ".join(f"{name}@{version}" for name, version in assemblies)
    print(f"jsii package cache {cache_root()}: {names} ({time.monotonic() - start:.1f} s)")
    if missing:
        print(f"no runtime index yet for: {', '.join(map(str, missing))}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
