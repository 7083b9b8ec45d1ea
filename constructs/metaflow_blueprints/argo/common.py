"""Small shared Argo types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metaflow_blueprints.errors import BlueprintError


@dataclass(frozen=True)
class SecretKeyRef:
    """A key of a Kubernetes Secret in the object's namespace (``SecretKeySelector``)."""

    name: str
    key: str

    def __post_init__(self) -> None:
        if not self.name or not self.key:
            raise BlueprintError("SecretKeyRef", (self.name, self.key), "needs a name and a key.")

    def render(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key}
