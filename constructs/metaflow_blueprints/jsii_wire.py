"""The jsii kernel's messages converted without cattrs where that is plain data: same bytes.

jsii's Python runtime turns each request (an attrs class) into JSON with a cattrs
``Converter`` that walks the whole argument tree value by value, and each response back the
same way. A blueprint's two Argo manifests make that walk about a fifth of the Python time
it costs (a profile of 100 blueprints). :class:`WireConverter` wraps jsii's converter: it
converts the plain parts itself (``str``, ``int``, ``float``, ``bool``, ``None``,
``dict``, ``list``) in the requests that carry them and the plain ``ok`` responses, and
hands everything else to jsii's converter (object references, enums, dates, overrides,
callbacks, errors, the other request kinds). jsii's ``send`` is unchanged: it frames,
sends and raises as before.

A test holds it to jsii's own converter: the JSON of every request and the structured
value of every response of the reference synth, and generated values, are the same.
"""

from __future__ import annotations

from typing import Any

import attr
from jsii._kernel import types

#: Request class -> its ``api`` name, as jsii registers it (``providers/process.py``).
API_NAMES: dict[type, str] = {
    types.CreateRequest: "create",
    types.GetRequest: "get",
    types.SetRequest: "set",
    types.InvokeRequest: "invoke",
    types.StaticGetRequest: "sget",
    types.StaticSetRequest: "sset",
    types.StaticInvokeRequest: "sinvoke",
    types.DeleteRequest: "del",
}

_FIELDS = {request: tuple(field.name for field in attr.fields(request)) for request in API_NAMES}


class WireConverter:
    """jsii's cattrs converter with plain data converted directly (see the module docstring).

    ``okay`` is jsii's class for an ``{"ok": ...}`` response and ``response`` the union its
    ``send`` structures a reply into; anything else goes to ``converter``.
    """

    def __init__(self, converter: Any, *, okay: type, response: Any) -> None:
        self._converter = converter
        self._okay = okay
        self._response = response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._converter, name)

    def unstructure(self, value: Any) -> Any:
        names = _FIELDS.get(type(value))
        if names is None:
            return self._converter.unstructure(value)
        message = {name: self._plain(getattr(value, name)) for name in names}
        message["api"] = API_NAMES[type(value)]  # jsii's hook adds it last
        return message

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return value
        if kind is dict:
            return {self._plain(k): self._plain(v) for k, v in value.items()}
        if kind is list:
            return [self._plain(item) for item in value]
        return self._converter.unstructure(value)

    def structure(self, value: Any, kind: Any) -> Any:
        plain_dict = type(value) is dict
        if kind is self._response and plain_dict and value.keys() == {"ok"}:
            return self._okay(ok=value["ok"])
        if kind is types.GetResponse and plain_dict and value.keys() <= {"value"}:
            return types.GetResponse(**value)
        if kind is types.InvokeResponse and plain_dict and value.keys() <= {"result"}:
            return types.InvokeResponse(**value)
        if kind is types.SetResponse and value == {}:
            return types.SetResponse()
        if kind is types.CreateResponse and type(value) is types.ObjRef:
            return types.CreateResponse(ref=value.ref)  # what jsii's ObjRef hook builds
        return self._converter.structure(value, kind)
