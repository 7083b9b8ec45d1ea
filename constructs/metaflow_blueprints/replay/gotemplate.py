"""A subset of Go ``text/template`` + sprig, as used by Argo Events sensors.

Supported: text, ``{{ }}`` actions with ``{{-``/``-}}`` trimming, comments, ``if``/``else``/
``else if``/``end``, pipelines with ``|``, parenthesised pipelines, field chains on ``.``
and ``$``, string/number/bool/nil literals, and the functions in :data:`FUNCTIONS`.
Anything else (``range``, ``with``, variables, other functions...) raises
:class:`UnsupportedConstruct` naming it. Evaluation errors (``fail``, type errors, nil
field access) raise :class:`TemplateError`, which Argo treats as a failed template.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import gojson
from .errors import EvalError, UnsupportedConstruct


class TemplateError(EvalError):
    """The template failed the way Go's would (parse or execution error)."""


class _Missing:
    """A map lookup that found nothing (prints as ``<no value>``)."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()

# --- lexing -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<char>'(?:[^'\\]|\\.)+')
    | (?P<num>[+-]?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?
               |\.\d+(?:[eE][+-]?\d+)?))
    | (?P<field>(?:\$[A-Za-z0-9_]*)?(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.|\$[A-Za-z0-9_]*)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>:=|=|\||\(|\)|,)
    )""",
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    text: str


def _lex_action(src: str, template: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(src):
        if src[pos:].strip() == "":
            break
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"template: bad character in action {src!r}")
        kind = m.lastgroup or ""
        text = m.group(kind)
        # a field immediately after ")" is a chain on the parenthesised value
        toks.append(_Tok(kind, text))
        pos = m.end()
    return toks


# --- parse tree ---------------------------------------------------------------------------


@dataclass
class _Text:
    text: str


@dataclass
class _Action:
    pipe: list[list[Any]]


@dataclass
class _If:
    branches: list[tuple[list[list[Any]], list[Any]]] = field(default_factory=list)
    otherwise: list[Any] | None = None


@dataclass
class _Field:
    base: str  # "." or "$"
    chain: list[str]


@dataclass
class _Ident:
    name: str


@dataclass
class _Lit:
    value: Any


@dataclass
class _Sub:
    pipe: list[list[Any]]
    chain: list[str]


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)


def parse(template: str) -> list[Any]:
    """Parse a template into a node list."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(template):
        text = template[pos : m.start()]
        if m.group(1) and pieces and pieces[-1][0] == "text":
            pieces[-1] = ("text", pieces[-1][1])
        if m.group(1):
            text = text.rstrip(" \t\r\n")
        pieces.append(("text", text))
        pieces.append(("action" + ("-" if m.group(3) else ""), m.group(2)))
        pos = m.end()
    pieces.append(("text", template[pos:]))
    # apply right trims
    cleaned: list[tuple[str, str]] = []
    trim_next = False
    for kind, body in pieces:
        if kind == "text" and trim_next:
            body = body.lstrip(" \t\r\n")
        trim_next = kind == "action-"
        cleaned.append(("action" if kind.startswith("action") else kind, body))
    nodes, rest = _parse_nodes(cleaned, 0, template, top=True)
    del rest
    return nodes


def _parse_nodes(
    pieces: list[tuple[str, str]], i: int, template: str, *, top: bool
) -> tuple[list[Any], int]:
    nodes: list[Any] = []
    while i < len(pieces):
        kind, body = pieces[i]
        if kind == "text":
            if body:
                nodes.append(_Text(body))
            i += 1
            continue
        stripped = body.strip()
        if stripped.startswith("/*"):
            if not stripped.endswith("*/"):
                raise TemplateError("template: unclosed comment")
            i += 1
            continue
        toks = _lex_action(stripped, template)
        if not toks:
            raise TemplateError("template: missing value for command")
        head = toks[0]
        if head.kind == "ident" and head.text in ("end", "else"):
            if top:
                raise TemplateError(f"template: unexpected {{{{{head.text}}}}}")
            return nodes, i
        if head.kind == "ident" and head.text == "if":
            node, i = _parse_if(pieces, i, template)
            nodes.append(node)
            continue
        if head.kind == "ident" and head.text in (
            "range", "with", "define", "template", "block", "break", "continue"
        ):
            raise UnsupportedConstruct(f"Go template action '{head.text}'", template)
        nodes.append(_Action(_parse_pipeline(toks, template)))
        i += 1
    if not top:
        raise TemplateError("template: unexpected EOF")
    return nodes, i


def _parse_if(pieces: list[tuple[str, str]], i: int, template: str) -> tuple[_If, int]:
    node = _If()
    toks = _lex_action(pieces[i][1].strip(), template)[1:]
    while True:
        cond = _parse_pipeline(toks, template)
        body, i = _parse_nodes(pieces, i + 1, template, top=False)
        node.branches.append((cond, body))
        toks = _lex_action(pieces[i][1].strip(), template)
        if toks[0].text == "end":
            return node, i + 1
        # else / else if
        if len(toks) > 1 and toks[1].text == "if":
            toks = toks[2:]
            continue
        body, i = _parse_nodes(pieces, i + 1, template, top=False)
        node.otherwise = body
        end = _lex_action(pieces[i][1].strip(), template)
        if end[0].text != "end":
            raise TemplateError("template: expected end")
        return node, i + 1


def _parse_pipeline(toks: list[_Tok], template: str) -> list[list[Any]]:
    cmds: list[list[Any]] = [[]]
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "punct" and t.text == "|":
            cmds.append([])
            i += 1
            continue
        if t.kind == "punct" and t.text in (":=", "="):
            raise UnsupportedConstruct("Go template variable assignment", template)
        if t.kind == "punct" and t.text == "(":
            depth, j = 1, i + 1
            while j < len(toks) and depth:
                if toks[j].text == "(":
                    depth += 1
                elif toks[j].text == ")":
                    depth -= 1
                j += 1
            if depth:
                raise TemplateError("template: unclosed left paren")
            inner = _parse_pipeline(toks[i + 1 : j - 1], template)
            chain: list[str] = []
            if j < len(toks) and toks[j].kind == "field" and toks[j].text.startswith("."):
                chain = [c for c in toks[j].text.split(".") if c]
                j += 1
            cmds[-1].append(_Sub(inner, chain))
            i = j
            continue
        if t.kind == "punct":
            raise TemplateError(f"template: unexpected {t.text!r}")
        cmds[-1].append(_operand(t, template))
        i += 1
    if any(not c for c in cmds):
        raise TemplateError("template: missing command in pipeline")
    return cmds


def _operand(t: _Tok, template: str) -> Any:
    if t.kind == "str":
        return _Lit(json.loads(t.text))
    if t.kind == "raw":
        return _Lit(t.text[1:-1])
    if t.kind == "char":
        raise UnsupportedConstruct("Go template character constant", template)
    if t.kind == "num":
        text = t.text.replace("_", "")
        if re.fullmatch(r"[+-]?\d+", text):
            return _Lit(int(text))
        if text.lower().startswith(("0x", "+0x", "-0x")):
            return _Lit(int(text, 16))
        return _Lit(float(text))
    if t.kind == "field":
        text = t.text
        if text.startswith("$"):
            var, _, rest = text.partition(".")
            if var != "$":
                raise UnsupportedConstruct(f"Go template variable {var}", template)
            return _Field("$", [c for c in rest.split(".") if c])
        return _Field(".", [c for c in text.split(".") if c])
    if t.text in ("true", "false"):
        return _Lit(t.text == "true")
    if t.text == "nil":
        return _Lit(None)
    if t.text not in FUNCTIONS:
        raise UnsupportedConstruct(f"Go template function '{t.text}'", template)
    return _Ident(t.text)


# --- evaluation ---------------------------------------------------------------------------


def render(template: str, data: Any) -> str:
    """Execute ``template`` with ``data`` as ``.`` and ``$``; returns the output text."""
    nodes = parse(template)
    out: list[str] = []
    _exec(nodes, data, out)
    return "".join(out)


def _exec(nodes: list[Any], dot: Any, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Action):
            out.append(print_value(_pipe(node.pipe, dot)))
        elif isinstance(node, _If):
            for cond, body in node.branches:
                if truth(_pipe(cond, dot)):
                    _exec(body, dot, out)
                    break
            else:
                if node.otherwise is not None:
                    _exec(node.otherwise, dot, out)


def _pipe(cmds: list[list[Any]], dot: Any) -> Any:
    value: Any = None
    for idx, cmd in enumerate(cmds):
        final = [value] if idx > 0 else []
        value = _command(cmd, dot, final)
    return value


def _command(cmd: list[Any], dot: Any, final: list[Any]) -> Any:
    head = cmd[0]
    if isinstance(head, _Lit) and head.value is None:
        raise TemplateError("template: nil is not a command")
    if isinstance(head, _Ident):
        args = [_arg(a, dot) for a in cmd[1:]] + final
        return FUNCTIONS[head.name](*args) if _arity_ok(head.name, args) else None
    if len(cmd) > 1 or final:
        raise TemplateError("template: can't give argument to non-function")
    return _arg(head, dot)


def _arity_ok(name: str, args: list[Any]) -> bool:
    want = _ARITY[name]
    if isinstance(want, int) and len(args) != want:
        raise TemplateError(
            f"template: wrong number of args for {name}: want {want} got {len(args)}"
        )
    if isinstance(want, tuple) and len(args) < want[0]:
        raise TemplateError(f"template: wrong number of args for {name}")
    return True


def _arg(node: Any, dot: Any) -> Any:
    if isinstance(node, _Lit):
        return node.value
    if isinstance(node, _Field):
        base = dot if node.base == "." else _root(dot)
        return _chain(base, node.chain)
    if isinstance(node, _Sub):
        return _chain(_pipe(node.pipe, dot), node.chain)
    if isinstance(node, _Ident):
        return FUNCTIONS[node.name]() if _arity_ok(node.name, []) else None
    raise TemplateError("template: bad operand")


_ROOT: list[Any] = []


def _root(dot: Any) -> Any:
    return _ROOT[-1] if _ROOT else dot


def _chain(value: Any, chain: list[str]) -> Any:
    for name in chain:
        if value is MISSING:
            # Go: a field of a missing map entry (an invalid value) is again missing.
            return MISSING
        if value is None:
            raise TemplateError(f"template: nil pointer evaluating interface {{}}.{name}")
        if isinstance(value, dict):
            value = value.get(name, MISSING)
        else:
            # Go names the static type of the value: every JSON value is an interface{}.
            raise TemplateError(f"template: can't evaluate field {name} in type interface {{}}")
    return value


def truth(value: Any) -> bool:
    """Go template truthiness."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    if gojson.is_number(value):
        return bool(value != 0)
    if isinstance(value, (str, dict, list)):
        return len(value) > 0
    return True


def print_value(value: Any) -> str:
    """How ``{{ x }}`` prints a value."""
    if value is None or value is MISSING:
        return "<no value>"
    return _fmt_v(value)


def _fmt_v(value: Any) -> str:
    if value is None or value is MISSING:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return gojson.go_fmt_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_fmt_v(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_fmt_v(v) for v in value) + "]"
    return str(value)


def kind_of(value: Any) -> str:
    """sprig ``kindOf`` (reflect kind names)."""
    if value is None or value is MISSING:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "slice"
    return "invalid"


# --- functions ----------------------------------------------------------------------------


def _need_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TemplateError(
            # text/template converts the argument before the call (exec.go validateType).
            f"template: wrong type for value; expected string; got {kind_of(value)}"
        )
    return value


def _need_map(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TemplateError(
            f"template: wrong type for value; expected map[string]interface {{}}; "
            f"got {kind_of(value)}"
        )
    return value


def _b64dec(value: Any) -> str:
    """sprig ``b64dec``: the decoded text, or the decoder's error message as the result."""
    decoded = _go_b64decode(_need_str("b64dec", value).encode())
    if isinstance(decoded, int):
        return f"illegal base64 data at input byte {decoded}"
    return decoded.decode("utf-8", "replace")


_B64_VALUES = {
    ord(c): i
    for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}
_NEWLINES = (ord("\n"), ord("\r"))


def _go_b64decode(src: bytes) -> bytes | int:
    """Go's ``base64.StdEncoding.DecodeString``: the bytes, or a CorruptInputError's offset.

    Like Go (``decodeQuantum``): newlines are skipped, padding is required, bits after the
    last full byte are ignored, and the offset is where Go reports the error.
    """
    out = bytearray()
    si = 0
    while si < len(src):
        quantum, dlen, j, trailing = [0, 0, 0, 0], 4, 0, None
        while j < 4:
            if si == len(src):
                # only newlines left: done; else an incomplete quantum (padding is required)
                return bytes(out) if j == 0 else si - j
            char = src[si]
            si += 1
            if char in _B64_VALUES:
                quantum[j] = _B64_VALUES[char]
                j += 1
                continue
            if char in _NEWLINES:
                continue
            if char != ord("=") or j < 2:
                return si - 1
            if j == 2:  # "==" expected; the first "=" is consumed
                while si < len(src) and src[si] in _NEWLINES:
                    si += 1
                if si == len(src):
                    return len(src)
                if src[si] != ord("="):
                    return si - 1
                si += 1
            while si < len(src) and src[si] in _NEWLINES:
                si += 1
            if si < len(src):
                trailing = si
            dlen = j
            break
        bits = quantum[0] << 18 | quantum[1] << 12 | quantum[2] << 6 | quantum[3]
        out += bits.to_bytes(3, "big")[: dlen - 1]
        if trailing is not None:
            return trailing
    return bytes(out)


def _to_json(value: Any, *, html: bool) -> str:
    if value is MISSING:
        value = None
    return gojson.dumps(value, sort_keys=True, html=html)


def _fail(msg: Any) -> Any:
    raise TemplateError(f"template: error calling fail: {_fmt_v(msg)}")


def _printf(fmt: Any, *args: Any) -> str:
    text = _need_str("printf", fmt)
    out: list[str] = []
    it = iter(args)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        verb = text[i + 1] if i + 1 < len(text) else ""
        i += 2
        if verb == "%":
            out.append("%")
            continue
        if verb not in "svdq":
            raise UnsupportedConstruct(f"printf verb %{verb}")
        try:
            arg = next(it)
        except StopIteration:
            out.append(f"%!{verb}(MISSING)")
            continue
        if verb in "sv":
            out.append("<nil>" if arg is None or arg is MISSING else _fmt_v(arg))
        elif verb == "d":
            if isinstance(arg, int) and not isinstance(arg, bool):
                out.append(str(arg))
            else:
                out.append(f"%!d({kind_of(arg)}={_fmt_v(arg)})")
        else:
            out.append(json.dumps(_fmt_v(arg), ensure_ascii=False) if isinstance(arg, str)
                       else f"%!q({kind_of(arg)}={_fmt_v(arg)})")
    return "".join(out)


def _index(coll: Any, *keys: Any) -> Any:
    value = coll
    for key in keys:
        if isinstance(value, dict):
            if not isinstance(key, str):
                raise TemplateError("template: error calling index: value has type int; "
                                    "should be string")
            value = value.get(key, MISSING)
        elif isinstance(value, list):
            if not isinstance(key, int) or isinstance(key, bool):
                raise TemplateError(f"template: error calling index: cannot index slice/array "
                                    f"with type {kind_of(key)}")
            if not 0 <= key < len(value):
                raise TemplateError(f"template: error calling index: index out of range: {key}")
            value = value[key]
        else:
            raise TemplateError(f"template: error calling index: can't index item of type "
                                f"{kind_of(value)}")
    return value


def _eq(a: Any, *bs: Any) -> bool:
    return any(_basic(a) == _basic(b) for b in bs)


def _basic(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        raise TemplateError("template: error calling eq: non-comparable type")
    return None if v is MISSING else v


def _default(d: Any, *given: Any) -> Any:
    if not given:
        return d
    return given[0] if truth(given[0]) else d


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "b64dec": _b64dec,
    "b64enc": lambda v: base64.b64encode(_need_str("b64enc", v).encode()).decode(),
    "toJson": lambda v: _to_json(v, html=True),
    "toRawJson": lambda v: _to_json(v, html=False),
    "hasKey": lambda m, k: _need_str("hasKey", k) in _need_map("hasKey", m),
    "get": lambda m, k: _need_map("get", m).get(_need_str("get", k), ""),
    "fail": _fail,
    "upper": lambda v: _need_str("upper", v).upper(),
    "lower": lambda v: _need_str("lower", v).lower(),
    "printf": _printf,
    "sha256sum": lambda v: hashlib.sha256(_need_str("sha256sum", v).encode()).hexdigest(),
    "index": _index,
    "kindIs": lambda k, v: _need_str("kindIs", k) == kind_of(v),
    "kindOf": kind_of,
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "not": lambda v: not truth(v),
    "and": lambda *vs: next((v for v in vs if not truth(v)), vs[-1]),
    "or": lambda *vs: next((v for v in vs if truth(v)), vs[-1]),
    "default": _default,
}

_ARITY: dict[str, int | tuple[int]] = {
    "b64dec": 1, "b64enc": 1, "toJson": 1, "toRawJson": 1, "hasKey": 2, "get": 2,
    "fail": 1, "upper": 1, "lower": 1, "printf": (1,), "sha256sum": 1, "index": (1,),
    "kindIs": 2, "kindOf": 1, "eq": (2,), "ne": 2, "not": 1, "and": (1,), "or": (1,),
    "default": (1,),
}


def execute(template: str, input_value: Any) -> str:
    """Run ``template`` with ``{"Input": input_value}`` as data (Argo's convention)."""
    data = {"Input": input_value}
    _ROOT.append(data)
    try:
        return render(template, data)
    finally:
        _ROOT.pop()
