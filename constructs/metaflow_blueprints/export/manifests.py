"""A synthesized stack's Kubernetes objects as plain YAML, for GitOps tools.

Exported: every ``kubernetes_manifest`` body exactly as synthesized (the Argo EventSources
and Sensors), ``kubernetes_secret_v1`` as a Secret (``stringData``) and
``kubernetes_service_account_v1`` as a ServiceAccount, ``kubernetes_role_v1`` and
``kubernetes_role_binding_v1`` as Role and RoleBinding, and the Argo objects the platform's
local Helm chart applies (a ``helm_release`` whose values hold ``{"objects": [...]}``).
Other Kubernetes resource types and other Helm releases (the argo-events chart) are listed as
skipped. A value holding a Terraform reference (``${...}``, e.g. a queue name known
only after apply) is an error naming the field, unless it is given with ``--set`` or
``--allow-unresolved`` keeps the reference text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from metaflow_blueprints.export.stackdir import resources

#: ``${expr}`` (not the ``$${`` escape); expressions here never nest braces in practice.
_REFERENCE = re.compile(r"(?<!\$)\$\{([^{}]*)\}")


class UnresolvedReferenceError(ValueError):
    """A manifest field holds a Terraform reference with no ``--set`` value."""

    def __init__(self, unresolved: list[tuple[str, str]]) -> None:
        self.unresolved = unresolved
        lines = [f"  {where}: ${{{expr}}}" for where, expr in unresolved]
        names = sorted({expr for _, expr in unresolved})
        super().__init__(
            "these fields hold Terraform references known only after apply:\n"
            + "\n".join(lines)
            + "\nGive each a value with --set "
            + " --set ".join(f"{name}=VALUE" for name in names)
            + ", or keep the references with --allow-unresolved."
        )


@dataclass
class Export:
    """The objects found, the resources skipped and the references replaced or kept."""

    objects: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    #: ``--set`` names that replaced at least one reference.
    used: set[str] = field(default_factory=set)


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``["aws_sqs_queue.q.name=orders"]`` -> ``{"aws_sqs_queue.q.name": "orders"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {pair!r}: expected NAME=VALUE (NAME as in ${{NAME}})")
        out[name.strip()] = value
    return out


def collect(doc: Mapping[str, Any], sets: Mapping[str, str] | None = None) -> Export:
    """Kubernetes objects of ``doc`` with ``sets`` substituted; unresolved ones recorded."""
    result = Export()
    for type_, name, body in resources(dict(doc)):
        address = f"{type_}.{name}"
        if type_ == "kubernetes_manifest":
            obj = body["manifest"]
            where = f"{address}.manifest"
        elif type_ == "kubernetes_secret_v1":
            obj = _secret(body)
            where = address
        elif type_ == "kubernetes_service_account_v1":
            obj = _service_account(body)
            where = address
        elif type_ == "helm_release":
            objects = _chart_objects(body)
            if not objects:
                result.skipped.append(address)
            for index, obj in enumerate(objects):
                where = f"{address}.objects[{index}]"
                result.objects.append(
                    (where, _substitute(obj, sets or {}, where, result))
                )
            continue
        elif type_ == "kubernetes_role_v1":
            obj = _role(body)
            where = address
        elif type_ == "kubernetes_role_binding_v1":
            obj = _role_binding(body)
            where = address
        else:
            if type_.startswith("kubernetes_"):
                result.skipped.append(address)
            continue
        result.objects.append((address, _substitute(obj, sets or {}, where, result)))
    unused = sorted(set(sets or {}) - result.used)
    if unused:
        known = sorted({expr for _, expr in result.unresolved} | result.used)
        raise ValueError(
            f"--set {unused[0]}: no ${{{unused[0]}}} reference in the stack's Kubernetes "
            f"objects (references: {', '.join(known) or 'none'})"
        )
    return result


def _chart_objects(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The manifests a release of the platform's objects chart applies (else none)."""
    found: list[dict[str, Any]] = []
    for text in body.get("values") or []:
        try:
            values = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(values, dict) and isinstance(values.get("objects"), list):
            found += [o for o in values["objects"] if isinstance(o, dict)]
    return found


def _metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata", {})
    meta = meta[0] if isinstance(meta, list) else meta
    return {k: v for k, v in meta.items() if v not in (None, {}, [])}


def _secret(body: Mapping[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": _metadata(body)}
    obj["type"] = body.get("type", "Opaque")
    if body.get("data"):
        obj["stringData"] = dict(body["data"])
    return obj


def _service_account(body: Mapping[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(body)
    }
    if "automount_service_account_token" in body:
        obj["automountServiceAccountToken"] = body["automount_service_account_token"]
    return obj


def _role(body: Mapping[str, Any]) -> dict[str, Any]:
    rules = [
        {
            "apiGroups": list(rule.get("api_groups") or []),
            "resources": list(rule.get("resources") or []),
            "verbs": list(rule.get("verbs") or []),
            **({"resourceNames": list(rule["resource_names"])} if rule.get("resource_names")
               else {}),
        }
        for rule in body.get("rule") or []
    ]
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": _metadata(body), "rules": rules,
    }


def _role_binding(body: Mapping[str, Any]) -> dict[str, Any]:
    ref = body.get("role_ref") or {}
    ref = ref[0] if isinstance(ref, list) else ref
    subjects = [
        {k: v for k, v in (("kind", s.get("kind")), ("name", s.get("name")),
                           ("namespace", s.get("namespace")), ("apiGroup", s.get("api_group")))
         if v}
        for s in body.get("subject") or []
    ]
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": _metadata(body),
        "roleRef": {"apiGroup": ref.get("api_group"), "kind": ref.get("kind"),
                    "name": ref.get("name")},
        "subjects": subjects,
    }


def _substitute(value: Any, sets: Mapping[str, str], where: str, result: Export) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, sets, f"{where}.{k}", result) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, sets, f"{where}[{i}]", result) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        if expr in sets:
            result.used.add(expr)
            return sets[expr]
        result.unresolved.append((where, expr))
        return match.group(0)

    return _REFERENCE.sub(replace, value).replace("$${", "${")


def file_name(obj: Mapping[str, Any]) -> str:
    """``<kind>-<namespace>-<name>.yaml``, lower-case."""
    meta = obj.get("metadata", {})
    parts = [str(obj.get("kind", "object")), str(meta.get("namespace", "")),
             str(meta.get("name", ""))]
    stem = "-".join(re.sub(r"[^a-z0-9.-]+", "-", part.lower()) for part in parts if part)
    return f"{stem}.yaml"


def write(export: Export, out: Path, *, allow_unresolved: bool = False) -> list[Path]:
    """Write one YAML file per object; raise if references remain and are not allowed."""
    if export.unresolved and not allow_unresolved:
        raise UnresolvedReferenceError(export.unresolved)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for _, obj in export.objects:
        path = out / file_name(obj)
        path.write_text(yaml.safe_dump(obj, sort_keys=False, width=100))
        written.append(path)
    return written
