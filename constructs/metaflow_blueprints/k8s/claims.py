"""One owner per Kubernetes object name: a clash is an error at synth time, not a fight
between two Terraform resources over one object in the cluster.

Every construct that creates a named Kubernetes object (and every blueprint, for the name
stem all its objects derive from) claims ``(kind, namespace, name)`` in its stack first;
a second claim names both construct paths. Names that are Terraform tokens are skipped.
"""

from __future__ import annotations

from metaflow_blueprints.errors import BlueprintError, is_token
from metaflow_blueprints.runtime import Construct, path_of, stack_of

_ATTRIBUTE = "_mfb_kubernetes_claims"


def claim(
    scope: Construct,
    kind: str,
    namespace: str,
    name: str,
    *,
    field: str = "name",
) -> None:
    """Record that ``scope`` creates ``kind`` ``namespace/name``; raise if another does."""
    if is_token(name) or is_token(namespace):
        return
    stack = stack_of(scope)
    claims: dict[tuple[str, str, str], Construct] = getattr(stack, _ATTRIBUTE, None) or {}
    setattr(stack, _ATTRIBUTE, claims)
    key = (kind, namespace, name)
    owner = claims.get(key)
    # One construct may claim a name twice; construct paths (unique in the stack) are only
    # read for the message.
    if owner is not None and owner is not scope:
        raise BlueprintError(
            field,
            name,
            f"{kind} {namespace}/{name} would be created by both {path_of(owner)!r} and "
            f"{path_of(scope)!r}.",
            "Give one of them another construct id or name= (ids that differ only in "
            "'_' and '-' or case resolve to the same Kubernetes names), or put them in "
            "different namespaces.",
        )
    claims[key] = scope
