"""Small expression evaluators: govaluate (sensor ``exprs``) and expr-lang (EventSource
``filter.expression``), each in the subset documented in ``docs/replay.md``.

govaluate: literals (numbers are float64, '..' and ".." strings, true/false), variables
(plain or ``[bracketed]``), ``( )``, ``!``, unary ``-``, ``+ - * /``, comparisons,
``=~``/``!~`` (Go regexps), ``&&``/``||`` (short-circuit). ``==``/``!=`` are
``reflect.DeepEqual``; ordering needs two numbers or two strings; logic needs bools.

expr-lang: the same plus ``and``/``or``/``not``, member access ``a.b``/``a["b"]`` (a
missing key is nil), ``matches``, ``contains``, ``startsWith``, ``endsWith``, ``in [..]``.

Other syntax raises :class:`UnsupportedConstruct`; type errors raise :class:`EvalError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import gojson
from .errors import EvalError, UnsupportedConstruct
from .goregex import go_match

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<bvar>\[[^\]]+\])
    | (?P<op>==|!=|<=|>=|=~|!~|&&|\|\||\*\*|\?\?|[-+*/%<>!(),.\[\]?:])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?\s*(?:AM|PM)?", re.I)


@dataclass
class _Tok:
    kind: str
    text: str


def _lex(src: str, flavor: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(src):
        if not src[pos:].strip():
            break
        m = _TOKEN.match(src, pos)
        if not m:
            raise UnsupportedConstruct(f"{flavor} syntax at {src[pos:]!r}", src)
        kind = m.lastgroup or ""
        toks.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return toks


class _Parser:
    def __init__(self, src: str, flavor: str) -> None:
        self.src = src
        self.flavor = flavor
        self.toks = _lex(src, flavor)
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise EvalError(f"unexpected end of expression: {self.src}")
        self.i += 1
        return tok

    def accept(self, *texts: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind in ("op", "ident") and tok.text in texts:
            self.i += 1
            return tok.text
        return None

    def unsupported(self, what: str) -> UnsupportedConstruct:
        return UnsupportedConstruct(f"{self.flavor} {what}", self.src)

    def parse(self) -> Any:
        node = self.or_()
        if self.peek() is not None:
            tok = self.peek()
            assert tok is not None
            if tok.text in ("?", "??", "in", ":", ","):
                raise self.unsupported(f"operator {tok.text!r}")
            raise EvalError(f"unexpected token {tok.text!r} in {self.src}")
        return node

    def or_(self) -> Any:
        node = self.and_()
        ors = ("||", "or") if self.flavor == "expr" else ("||",)
        while self.accept(*ors):
            node = ("||", node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.cmp()
        ands = ("&&", "and") if self.flavor == "expr" else ("&&",)
        while self.accept(*ands):
            node = ("&&", node, self.cmp())
        return node

    def cmp(self) -> Any:
        node = self.add()
        ops = ["==", "!=", "<=", ">=", "<", ">"]
        ops += ["matches", "contains", "startsWith", "endsWith", "in"] if self.flavor == "expr" \
            else ["=~", "!~"]
        while True:
            op = self.accept(*ops)
            if op is None:
                return node
            node = (op, node, self.add())

    def add(self) -> Any:
        node = self.mul()
        while True:
            op = self.accept("+", "-")
            if op is None:
                return node
            node = (op, node, self.mul())

    def mul(self) -> Any:
        node = self.unary()
        while True:
            op = self.accept("*", "/")
            if op is None:
                if self.peek() is not None and self.peek().text in ("%", "**"):  # type: ignore[union-attr]
                    raise self.unsupported(f"operator {self.peek().text!r}")  # type: ignore[union-attr]
                return node
            node = (op, node, self.unary())

    def unary(self) -> Any:
        nots = ("!", "not") if self.flavor == "expr" else ("!",)
        if self.accept(*nots):
            return ("!", self.unary())
        if self.accept("-"):
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Any) -> Any:
        if self.flavor != "expr":
            return node
        while True:
            if self.accept("."):
                tok = self.take()
                if tok.kind != "ident":
                    raise self.unsupported(f"member access .{tok.text}")
                node = ("member", node, tok.text)
            elif self.accept("["):
                key = self.or_()
                if not self.accept("]"):
                    raise EvalError(f"missing ] in {self.src}")
                node = ("index", node, key)
            else:
                return node

    def primary(self) -> Any:
        tok = self.take()
        if tok.kind == "num":
            if self.flavor == "expr" and re.fullmatch(r"\d+", tok.text):
                return ("lit", int(tok.text))
            return ("lit", float(tok.text))
        if tok.kind == "str":
            text = _unquote(tok.text)
            if self.flavor == "govaluate" and _DATE_LIKE.fullmatch(text.strip()):
                raise self.unsupported(f"date-like string literal {tok.text} (govaluate "
                                       "parses it as a timestamp)")
            return ("lit", text)
        if tok.kind == "bvar":
            if self.flavor != "govaluate":
                raise self.unsupported("array literal")
            return ("var", tok.text[1:-1])
        if tok.kind == "ident":
            if tok.text in ("true", "false"):
                return ("lit", tok.text == "true")
            if tok.text in ("nil", "null") and self.flavor == "expr":
                return ("lit", None)
            if self.flavor == "expr" and self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
                raise self.unsupported(f"function call {tok.text}()")
            return ("var", tok.text)
        if tok.text == "(":
            node = self.or_()
            if not self.accept(")"):
                raise EvalError(f"missing ) in {self.src}")
            return node
        if tok.text == "[" and self.flavor == "expr":
            items = []
            if not self.accept("]"):
                while True:
                    items.append(self.or_())
                    if self.accept("]"):
                        break
                    if not self.accept(","):
                        raise EvalError(f"missing , in {self.src}")
            return ("list", items)
        raise self.unsupported(f"token {tok.text!r}")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def evaluate(src: str, env: dict[str, Any], *, flavor: str = "govaluate") -> Any:
    """Parse and evaluate ``src`` against ``env`` (values as Go sees them: float64 numbers)."""
    tree = _Parser(src, flavor).parse()
    return _eval(tree, env, flavor)


def _num(v: Any) -> bool:
    return gojson.is_number(v)


def _type_name(v: Any) -> str:
    return "nil" if v is None else type(v).__name__


def _eval(node: Any, env: dict[str, Any], flavor: str) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return [_eval(n, env, flavor) for n in node[1]]
    if kind == "var":
        if node[1] not in env:
            if flavor == "govaluate":
                raise EvalError(f"No parameter '{node[1]}' found.")
            raise EvalError(f"unknown name {node[1]}")
        return env[node[1]]
    if kind == "member" or kind == "index":
        base = _eval(node[1], env, flavor)
        key = node[2] if kind == "member" else _eval(node[2], env, flavor)
        if isinstance(base, dict):
            return base.get(key)
        if isinstance(base, list) and _num(key) and float(key).is_integer():
            idx = int(key)
            if -len(base) <= idx < len(base):
                return base[idx]
            raise EvalError(f"index out of range: {idx}")
        raise EvalError(f"cannot fetch {key} from {_type_name(base)}")
    if kind == "!":
        v = _eval(node[1], env, flavor)
        if not isinstance(v, bool):
            raise EvalError(f"Value '{v}' cannot be used with the modifier '!', it is not a bool")
        return not v
    if kind == "neg":
        v = _eval(node[1], env, flavor)
        if not _num(v):
            raise EvalError(f"Value '{v}' cannot be used with the modifier '-', it is not a number")
        return -v
    op = kind
    left = _eval(node[1], env, flavor)
    if op in ("&&", "||"):
        if op == "&&" and left is False:
            return False
        if op == "||" and left is True:
            return True
        right = _eval(node[2], env, flavor)
        for v in (left, right):
            if not isinstance(v, bool):
                raise EvalError(f"Value '{v}' cannot be used with the logical operator '{op}', "
                                "it is not a bool")
        return right
    right = _eval(node[2], env, flavor)
    if op in ("==", "!="):
        eq = _equal(left, right, flavor)
        return eq if op == "==" else not eq
    if op in ("<", "<=", ">", ">="):
        if not ((_num(left) and _num(right)) or (isinstance(left, str) and isinstance(right, str))):
            raise EvalError(f"Value '{left}' cannot be used with the comparator '{op}', "
                            "it is not a number")
        return {"<": left < right, "<=": left <= right, ">": left > right,
                ">=": left >= right}[op]
    if op in ("=~", "!~", "matches"):
        if not isinstance(left, str) or not isinstance(right, str):
            raise EvalError(f"Value '{left}' cannot be used with the comparator '{op}', "
                            "it is not a string")
        m = go_match(right, left)
        return m if op != "!~" else not m
    if op in ("contains", "startsWith", "endsWith"):
        if not isinstance(left, str) or not isinstance(right, str):
            raise EvalError(f"invalid operation: {op} on {_type_name(left)}")
        return {"contains": right in left, "startsWith": left.startswith(right),
                "endsWith": left.endswith(right)}[op]
    if op == "in":
        if isinstance(right, list):
            return any(_equal(left, r, flavor) for r in right)
        if isinstance(right, dict):
            return left in right
        raise EvalError(f"invalid operation: in on {_type_name(right)}")
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        if flavor == "govaluate":
            return f"{_fmt(left)}{_fmt(right)}"
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    if op in ("+", "-", "*", "/"):
        if not (_num(left) and _num(right)):
            raise EvalError(f"Value '{left}' cannot be used with the modifier '{op}', "
                            "it is not a number")
        if op == "/" and right == 0:
            raise UnsupportedConstruct("division by zero (Go float/int semantics differ)")
        return {"+": left + right, "-": left - right, "*": left * right,
                "/": float(left) / float(right)}[op]
    raise UnsupportedConstruct(f"{flavor} operator {op}")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return gojson.go_fmt_float(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _equal(left: Any, right: Any, flavor: str) -> bool:
    if flavor == "govaluate":
        # reflect.DeepEqual: same dynamic type and value; all numbers are float64 here
        if _num(left) and _num(right):
            return float(left) == float(right)
        if type(left) is not type(right) and not (isinstance(left, str) and isinstance(right, str)):
            return False
        return bool(left == right)
    if _num(left) and _num(right):
        return float(left) == float(right)
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)
