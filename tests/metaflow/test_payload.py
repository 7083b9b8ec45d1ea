"""metaflow.payload: the payload paths the bridge supports, and the ones it refuses."""

from __future__ import annotations

import pytest

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.metaflow.payload import split_path


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("a", ["a"]),
        ("Records.0.s3.object.key", ["Records", 0, "s3", "object", "key"]),
        ("a\\.b.c", ["a.b", "c"]),
        ("detail.version-id", ["detail", "version-id"]),
    ],
)
def test_split_path(path: str, parts: list[object]) -> None:
    assert split_path(path) == parts


@pytest.mark.parametrize("bad", ["", "a..b", "a.*", "items.#", "a|@reverse", "a.#(x==1)"])
def test_unsupported_paths_are_refused(bad: str) -> None:
    with pytest.raises(BlueprintError):
        split_path(bad)
