"""The wire converter against jsii's own cattrs converter: same request bytes, same responses.

The oracle is the converter jsii builds and registers its hooks on (``_NodeProcess``); the
wire converter wraps it, so ``wire._converter`` is jsii's, untouched.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metaflow_blueprints import jsii_channel
from metaflow_blueprints.jsii_wire import API_NAMES, WireConverter
from metaflow_blueprints.runtime import App

pytestmark = pytest.mark.skipif(
    jsii_channel.relay_requested(), reason="jsii's relay runs without the wire converter"
)


@pytest.fixture(scope="module")
def wire() -> WireConverter:
    import jsii

    App()  # the kernel runs
    converter = jsii.kernel.provider._process._serializer
    assert isinstance(converter, WireConverter)
    return converter


def _json(message: Any) -> str:
    from jsii._kernel.providers.process import jdefault

    return json.dumps(message, default=jdefault)


class _Recorder:
    """Converts with the wire converter and with jsii's, and records every disagreement."""

    def __init__(self, wire: WireConverter) -> None:
        self.wire = wire
        self.requests = self.responses = 0
        self.disagreements: list[str] = []
        self.kinds: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wire, name)

    def unstructure(self, value: Any) -> Any:
        ours, jsiis = self.wire.unstructure(value), self.wire._converter.unstructure(value)
        self.requests += 1
        self.kinds.add(type(value).__name__)
        if _json(ours) != _json(jsiis):
            self.disagreements.append(f"request {value!r:.300}")
        return ours

    def structure(self, value: Any, kind: Any) -> Any:
        ours, jsiis = self.wire.structure(value, kind), self.wire._converter.structure(value, kind)
        self.responses += 1
        if type(ours) is not type(jsiis) or ours != jsiis:
            self.disagreements.append(f"response {kind} {value!r:.300}: {ours!r} != {jsiis!r}")
        return ours


@pytest.fixture
def recorder(wire: WireConverter) -> Iterator[_Recorder]:
    import jsii

    process = jsii.kernel.provider._process
    recorder = _Recorder(wire)
    process._serializer = recorder
    try:
        yield recorder
    finally:
        process._serializer = wire


def test_every_message_of_the_reference_synth_converts_as_jsii_does(
    recorder: _Recorder, tmp_path: Path
) -> None:
    from metaflow_blueprints.synth import synth_app
    from stacks.__main__ import build

    synth_app(build(str(tmp_path)))
    assert recorder.disagreements == []
    # Hundreds of messages, of the kinds a synth sends (not a vacuous pass).
    assert recorder.requests > 500 and recorder.responses > 500
    assert {"CreateRequest", "GetRequest", "SetRequest", "InvokeRequest"} <= recorder.kinds


def _objref() -> st.SearchStrategy[Any]:
    from jsii._kernel.types import ObjRef

    interfaces = st.none() | st.lists(st.text(max_size=5), max_size=2)
    return st.builds(ObjRef, ref=st.text(max_size=10), interfaces=interfaces)


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.datetimes(timezones=st.just(datetime.timezone.utc))
)


def _values() -> st.SearchStrategy[Any]:
    return st.recursive(
        _LEAVES | _objref(),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)
        ),
        max_leaves=20,
    )


#: The module-scoped ``wire`` fixture is the same for every example.
_FIXTURE_CHECK = [HealthCheck.function_scoped_fixture]


def _requests() -> st.SearchStrategy[Any]:
    from jsii._kernel import types

    ref, text, args = _objref(), st.text(max_size=8), st.lists(_values(), max_size=4)
    override = st.builds(types.Override, method=st.none() | text, cookie=st.none() | text)
    return st.one_of(
        st.builds(
            types.CreateRequest, fqn=text, args=args, overrides=st.lists(override, max_size=2)
        ),
        st.builds(types.GetRequest, objref=ref, property=text),
        st.builds(types.SetRequest, objref=ref, property=text, value=_values()),
        st.builds(types.InvokeRequest, objref=ref, method=text, args=args),
        st.builds(types.StaticGetRequest, fqn=text, property=text),
        st.builds(types.StaticSetRequest, fqn=text, property=text, value=text),
        st.builds(types.StaticInvokeRequest, fqn=text, method=text, args=args),
        st.builds(types.DeleteRequest, objref=ref),
        st.builds(types.LoadRequest, name=text, version=text, tarball=text),  # jsii's path
    )


@settings(max_examples=300, deadline=None, suppress_health_check=_FIXTURE_CHECK)
@given(request=_requests())
def test_generated_requests_serialize_to_jsiis_bytes(wire: WireConverter, request: Any) -> None:
    assert _json(wire.unstructure(request)) == _json(wire._converter.unstructure(request))


def test_every_fast_request_kind_is_one_jsii_knows_under_the_same_api_name(
    wire: WireConverter,
) -> None:
    from jsii._kernel import types

    ref = types.ObjRef(ref="o@1")
    samples = [
        types.CreateRequest(fqn="f"),
        types.GetRequest(objref=ref, property="p"),
        types.SetRequest(objref=ref, property="p", value=1),
        types.InvokeRequest(objref=ref, method="m"),
        types.StaticGetRequest(fqn="f", property="p"),
        types.StaticSetRequest(fqn="f", property="p", value="v"),
        types.StaticInvokeRequest(fqn="f", method="m"),
        types.DeleteRequest(objref=ref),
    ]
    assert {type(sample) for sample in samples} == set(API_NAMES)
    for sample in samples:
        assert wire._converter.unstructure(sample)["api"] == API_NAMES[type(sample)]


def _responses() -> st.SearchStrategy[tuple[Any, Any]]:
    from jsii._kernel import types
    from jsii._kernel.providers.process import _ProcessResponse

    return st.one_of(
        st.tuples(
            st.just(types.GetResponse), st.fixed_dictionaries({}, optional={"value": _values()})
        ),
        st.tuples(
            st.just(types.InvokeResponse), st.fixed_dictionaries({}, optional={"result": _values()})
        ),
        st.tuples(st.just(types.SetResponse), st.just({})),
        st.tuples(st.just(types.CreateResponse), _objref()),
        st.tuples(st.just(_ProcessResponse), st.fixed_dictionaries({"ok": _values()})),
        st.tuples(
            st.just(_ProcessResponse),
            st.fixed_dictionaries({"error": st.text(), "stack": st.text(), "name": st.text()}),
        ),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=_FIXTURE_CHECK)
@given(case=_responses())
def test_generated_responses_structure_as_jsii_does(
    wire: WireConverter, case: tuple[Any, Any]
) -> None:
    kind, value = case
    ours, jsiis = wire.structure(value, kind), wire._converter.structure(value, kind)
    assert type(ours) is type(jsiis) and ours == jsiis
