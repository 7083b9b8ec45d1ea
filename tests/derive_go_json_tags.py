"""Derive the JSON tags of argo-events' Go API types (dev time; the output is test data).

The Argo controllers write their objects back from Go structs, so ``encoding/json`` decides
what ends up in the cluster: a field without ``omitempty`` is written even when zero
(``""``, ``0``, ``false``, ``{}`` for a struct value), one with ``omitempty`` is dropped when
zero. A manifest is stable only if it is a fixed point of that round trip.

    git clone https://github.com/argoproj/argo-events && cd argo-events
    python tests/derive_go_json_tags.py . v1.9.11 > tests/data/argo_go_json_tags.json

Reads ``pkg/apis/events/v1alpha1/*.go`` at the tag with ``git show`` (no checkout needed).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

_DIR = "pkg/apis/events/v1alpha1"
_STRUCT = re.compile(r"^type (\w+) struct \{\s*$")
_ALIAS = re.compile(r"^type (\w+) (\*?[\w.\[\]]+)\s*$")
_FIELD = re.compile(r"^\s+(?:(\w+)\s+)?(\S+)\s+`([^`]*)`")
_JSON_TAG = re.compile(r'json:"([^"]*)"')
_MARSHALER = re.compile(r"^func \(\w+ \*?(\w+)\) MarshalJSON\(", re.M)
_SCALARS = {
    "string": "string", "bool": "bool", "int": "int", "int32": "int", "int64": "int",
    "uint32": "int", "uint64": "int", "float64": "float", "float32": "float",
}


def _git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                          check=True).stdout


def _kind(go_type: str) -> str:
    if go_type.startswith("*"):
        return "pointer"
    if go_type.startswith("[]"):
        return "slice"
    if go_type.startswith("map["):
        return "map"
    return _SCALARS.get(go_type, "named")


def parse(sources: dict[str, str]) -> dict[str, Any]:
    """``{"structs": {Name: {jsonName: {...}}}, "aliases": {Name: go type}, "custom_json"}``.

    ``custom_json`` lists types with their own ``MarshalJSON`` (opaque to the rule).
    """
    structs: dict[str, dict[str, Any]] = {}
    aliases: dict[str, str] = {}
    for text in sources.values():
        current: str | None = None
        for line in text.splitlines():
            if current is None:
                match = _STRUCT.match(line)
                if match:
                    current = match.group(1)
                    structs[current] = {}
                    continue
                alias = _ALIAS.match(line)
                if alias and alias.group(2) != "struct":
                    aliases[alias.group(1)] = alias.group(2)
                continue
            if line.startswith("}"):
                current = None
                continue
            field = _FIELD.match(line)
            if not field:
                continue
            name, go_type, tags = field.groups()
            tag = _JSON_TAG.search(tags)
            if tag is None or tag.group(1) == "-":
                continue
            json_name, *options = tag.group(1).split(",")
            inline = "inline" in options or (name is None and not json_name)
            element = re.sub(r"^(\*|\[\]|map\[[^\]]+\])+", "", go_type)
            structs[current][json_name or f"<inline {element}>"] = {
                "go": go_type,
                "kind": _kind(go_type),
                "element": element,
                "omitempty": "omitempty" in options,
                "inline": inline,
            }
    custom = sorted({m for text in sources.values() for m in _MARSHALER.findall(text)})
    return {"structs": structs, "aliases": aliases, "custom_json": custom}


def main(repo: str, tag: str) -> None:
    commit = _git(repo, "rev-parse", f"{tag}^{{commit}}").strip()
    names = [
        n for n in _git(repo, "ls-tree", "--name-only", f"{tag}:{_DIR}").split()
        if n.endswith(".go") and not n.endswith("_test.go") and not n.startswith("zz_")
        and n != "generated.pb.go"
    ]
    sources = {n: _git(repo, "show", f"{tag}:{_DIR}/{n}") for n in names}
    table = parse(sources)
    out = {"source": "github.com/argoproj/argo-events", "tag": tag, "commit": commit,
           "directory": _DIR, **table}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
