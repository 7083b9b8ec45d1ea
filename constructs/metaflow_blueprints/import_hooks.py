"""A loader wrapper for the library's import hooks: run a module as usual, then patch it."""

from __future__ import annotations

import importlib.machinery
import types
from collections.abc import Callable
from typing import Any


class ThenLoader:
    """Loads a module with ``loader``, then calls ``then(module)`` on it.

    A plain class (the loader protocol) rather than ``importlib.abc.Loader``: importing
    ``importlib.abc`` pulls in ``importlib.resources``, ``tempfile`` and ``lzma``.
    """

    def __init__(self, loader: Any, then: Callable[[types.ModuleType], object]) -> None:
        self._loader = loader
        self._then = then

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._then(module)
