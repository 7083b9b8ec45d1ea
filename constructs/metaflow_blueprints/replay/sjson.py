"""tidwall/sjson ``Set`` on parsed JSON, for trigger parameter ``dest`` paths.

A path that gjson already resolves (including ``#(query)`` parts, as in Metaflow's own
``spec.arguments.parameters.#(name=key).value``) is replaced in place, as sjson does.
Otherwise the path is created: a missing part becomes an object, or an array padded
with nulls when the next part is numeric or ``-1`` (append). Queries, ``#`` or wildcards
in a path that does not exist are errors, as in sjson.
"""

from __future__ import annotations

from typing import Any

from .errors import EvalError


def _parts(path: str) -> list[str]:
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and i + 1 < len(path):
            buf.append(path[i + 1])
            i += 2
            continue
        if ch == ".":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def set_value(doc: Any, path: str, value: Any) -> Any:
    """Return ``doc`` with ``value`` at ``path`` (``doc`` may be None: empty payload)."""
    if path == "":
        raise EvalError("path cannot be empty")
    if "#(" in path:
        return _set_by_query(doc, path, value)
    parts = _parts(path)
    for p in parts:
        if p == "#" or "*" in p or "?" in p:
            raise EvalError(f"sjson: path {path!r}: wildcard or array access character not allowed")
    return _set(doc, parts, value)


def _is_index(part: str) -> bool:
    return part.isdigit() or part == "-1"


def _new_container(part: str) -> Any:
    return [] if _is_index(part) else {}


def _set(node: Any, parts: list[str], value: Any) -> Any:
    part, rest = parts[0], parts[1:]
    if part.startswith(":"):
        part = part[1:]
        if not isinstance(node, dict):
            node = {}
    if isinstance(node, list) and _is_index(part):
        idx = len(node) if part == "-1" else int(part)
        while len(node) <= idx:
            node.append(None)
        node[idx] = _set(node[idx], rest, value) if rest else value
        return node
    if not isinstance(node, dict):
        if node is None and _is_index(part):
            return _set([], parts, value)
        node = {}
    if rest:
        child = node.get(part)
        if not isinstance(child, (dict, list)):
            child = _new_container(rest[0])
        node[part] = _set(child, rest, value)
    else:
        node[part] = value
    return node


def _set_by_query(doc: Any, path: str, value: Any) -> Any:
    """Locate the parent with gjson semantics and replace the final key."""
    from . import gjson

    head, _, last = path.rpartition(".")
    if not head:
        raise EvalError(f"sjson: path {path!r}: array access character not allowed in path")
    parent = gjson.get(doc, head)
    target = gjson.get(doc, path)
    if not parent.exists or not target.exists or not isinstance(parent.value, (dict, list)):
        raise EvalError(f"sjson: path {path!r}: array access character not allowed in path")
    container = parent.value
    if isinstance(container, list):
        container[int(last)] = value
    else:
        container[last] = value
    return doc
