"""A direct channel to the jsii kernel: one Node.js process instead of two.

jsii's Python runtime starts ``node jsii-runtime.js``, which starts a *second* Node.js
process (``lib/program.js``, the kernel) and relays every request and response between its
own stdin/stdout and the kernel's API channel, file descriptor 3. Each of a synth's
thousands of round trips thus crosses two extra pipes and the relay's event loop: about a
fifth of the time a blueprint costs (``make bench``).

:func:`install` (run by ``import metaflow_blueprints``) makes the runtime start the kernel
itself, with one end of a Unix socket pair as its descriptor 3 (a socket carries both
directions, as the relay's pipe does). The messages, the kernel and its arguments are the
same, so output is byte-identical (tested). What the kernel writes to its stdout and stderr
is copied to ``sys.stdout``/``sys.stderr``, as the relay's messages are. The messages'
plain data is converted by :mod:`metaflow_blueprints.jsii_wire` instead of cattrs (same
bytes, tested).

The hook waits for jsii's ``process`` module to be imported (importing jsii costs ~170 ms,
which a plain ``import metaflow_blueprints`` does not pay) and only replaces the process
class it recognises: jsii is pinned (pyproject.toml) and anything unexpected (another
platform, no ``/bin/sh``, a runtime without ``lib/program.js``) falls back to jsii's own
start, as does a ``JSII_RUNTIME`` of the user's. ``METAFLOW_BLUEPRINTS_JSII_RELAY=1`` keeps
jsii's relay.
"""

from __future__ import annotations

import atexit
import importlib.machinery
import os
import shutil
import socket
import subprocess
import sys
import threading
import types
from pathlib import Path
from typing import IO, Any

from metaflow_blueprints.import_hooks import ThenLoader

RELAY_ENV = "METAFLOW_BLUEPRINTS_JSII_RELAY"

#: The jsii module holding ``_NodeProcess``, the class that starts the kernel.
PROCESS_MODULE = "jsii._kernel.providers.process"

#: ``exec`` node with the socket (stdin of the shell) as descriptor 3, stdin from /dev/null.
_LAUNCH = 'exec "$0" "$@" 3<&0 </dev/null'

#: What jsii's relay passes to the kernel process (``process.execArgv`` + its own flag).
_NODE_FLAGS = ("--max-old-space-size=4069", "--preserve-symlinks")


def relay_requested() -> bool:
    """True when ``METAFLOW_BLUEPRINTS_JSII_RELAY`` asks for jsii's own relay process."""
    return os.environ.get(RELAY_ENV, "") not in ("", "0", "false")


def _copy_lines(source: IO[bytes], stream: str) -> None:
    """Copy the kernel's console output, line by line, to ``sys.<stream>`` as it is then
    (as jsii's own sink does) until the kernel closes it."""
    for line in iter(source.readline, b""):
        target = getattr(sys, stream)
        buffer = getattr(target, "buffer", None)
        if buffer is not None:
            buffer.write(line)
        else:
            target.write(line.decode(errors="replace"))
        target.flush()


def direct_process_class(process: types.ModuleType) -> type | None:
    """A subclass of jsii's ``_NodeProcess`` whose ``start`` runs the kernel directly, or
    None when ``process`` is not the module it was written for."""
    base = getattr(process, "_NodeProcess", None)
    if base is None or not all(
        hasattr(base, name) for name in ("_jsii_runtime", "handshake", "stop", "start")
    ):
        return None

    okay = getattr(process, "_OkayResponse", None)
    response = getattr(process, "_ProcessResponse", None)

    class DirectNodeProcess(base):  # type: ignore[misc, valid-type]
        """jsii's kernel process, started without the relay (see the module docstring), its
        plain messages converted by :class:`~metaflow_blueprints.jsii_wire.WireConverter`."""

        def __init__(self) -> None:
            super().__init__()
            if okay is not None and response is not None:
                from metaflow_blueprints.jsii_wire import WireConverter  # imports jsii

                # getattr/setattr: mypy cannot type the attribute jsii's untyped __init__ sets.
                jsiis = getattr(self, "_serializer")  # noqa: B009
                wire = WireConverter(jsiis, okay=okay, response=response)
                setattr(self, "_serializer", wire)  # noqa: B010

        def start(self) -> None:
            node = shutil.which(os.environ.get("JSII_NODE", "node"))
            if node is None or "JSII_RUNTIME" in os.environ or not os.path.exists("/bin/sh"):
                return super().start()  # type: ignore[no-any-return]  # jsii reports it
            program = Path(self._jsii_runtime()).parent.parent / "lib" / "program.js"
            if not program.is_file():
                return super().start()  # type: ignore[no-any-return]
            environ = os.environ.copy()
            environ["JSII_AGENT"] = f"Python/{sys.version.split()[0]}"
            ours, kernels = socket.socketpair()
            self._process = subprocess.Popen(
                ["/bin/sh", "-c", _LAUNCH, node, *_NODE_FLAGS, str(program)],
                stdin=kernels.fileno(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environ,
            )
            kernels.close()
            self._channel = ours
            # jsii writes requests to .stdin and reads responses from .stdout.
            self._console: IO[bytes] = self._process.stdout  # type: ignore[assignment]
            self._process.stdin = ours.makefile("wb")
            self._process.stdout = ours.makefile("rb")
            outputs = ((self._console, "stdout"), (self._process.stderr, "stderr"))
            self._sinks = [
                threading.Thread(target=_copy_lines, args=output, daemon=True) for output in outputs
            ]
            for sink in self._sinks:
                sink.start()
            self.sink_thread = self._sinks[1]  # what jsii's stop() waits for
            atexit.register(self.stop)
            self.handshake()

        def stop(self) -> None:
            super().stop()  # asks the kernel to exit and waits for it
            if getattr(self, "_channel", None) is None:
                return  # started by jsii's own start()
            for sink in self._sinks:
                sink.join(timeout=5)
            self._channel.close()
            if not self._sinks[0].is_alive():
                self._console.close()

    return DirectNodeProcess


def _patch(process: types.ModuleType) -> None:
    direct = direct_process_class(process)
    if direct is not None:
        process._NodeProcess = direct  # type: ignore[attr-defined]


class _ProcessModuleFinder:
    """Finds jsii's ``process`` module as usual and wraps its loader."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != PROCESS_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = ThenLoader(spec.loader, _patch)  # type: ignore[assignment]
        return spec


def install() -> None:
    """Start later jsii kernels without the relay (see the module docstring)."""
    if relay_requested() or sys.platform == "win32":
        return
    loaded = sys.modules.get(PROCESS_MODULE)
    if loaded is not None:
        _patch(loaded)  # a kernel already running keeps its relay; later ones do not
    elif not any(isinstance(finder, _ProcessModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ProcessModuleFinder())
