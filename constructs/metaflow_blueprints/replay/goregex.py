"""Go RE2 regular expressions (``regexp.Compile``) translated to Python ``re``.

Only ``Match`` (does the pattern occur anywhere: unanchored) is needed. Translation:
``$`` outside ``(?m)`` becomes ``\\Z`` (Python's ``$`` also matches before a final
newline), ``\\z`` becomes ``\\Z``, ``(?<name>`` becomes ``(?P<name>``, POSIX classes
``[[:alpha:]]`` are expanded, ``\\Q..\\E`` is escaped, and ``\\d \\w \\s \\b`` are ASCII as
in RE2. Syntax RE2 rejects (lookaround, backreferences) raises :class:`EvalError` like
Go's compile error; RE2 features with no faithful Python equivalent (Unicode classes
``\\p``, the ``U`` flag, flags after the start) raise :class:`UnsupportedConstruct`.
"""

from __future__ import annotations

import functools
import re

from .errors import EvalError, UnsupportedConstruct

_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}


@functools.lru_cache(maxsize=512)
def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile a Go regexp for ``search``; see the module docstring for the rules."""
    translated = _translate(pattern)
    try:
        return re.compile(translated, re.ASCII)
    except re.error as exc:
        raise EvalError(f"error parsing regexp: {exc}: `{pattern}`") from exc


def _translate(p: str) -> str:
    out: list[str] = []
    multiline = False
    i, n = 0, len(p)
    if p.startswith("(?"):
        m = re.match(r"\(\?([imsU]+)\)", p)
        if m:
            flags = m.group(1)
            if "U" in flags:
                raise UnsupportedConstruct(f"Go regexp flag U in {p!r}")
            multiline = "m" in flags
            out.append(m.group(0))
            i = m.end()
    while i < n:
        ch = p[i]
        if ch == "\\":
            i = _escape(p, i, out)
            continue
        if ch == "[":
            i = _char_class(p, i, out)
            continue
        if ch == "(" and p.startswith("(?", i):
            rest = p[i + 2 :]
            if rest.startswith(("=", "!", "<=", "<!", ">")):
                raise EvalError(f"error parsing regexp: invalid or unsupported Perl syntax: "
                                f"`{p[i:i + 3]}`")
            if rest.startswith("P<") or rest.startswith(":"):
                out.append(p[i : i + 2])
                i += 2
                continue
            if rest.startswith("<"):
                out.append("(?P")
                i += 2
                continue
            m = re.match(r"([imsU-]+)(:|\))", rest)
            if m:
                if "U" in m.group(1):
                    raise UnsupportedConstruct(f"Go regexp flag U in {p!r}")
                if m.group(2) == ")":
                    raise UnsupportedConstruct(f"Go regexp flags not at the start in {p!r}")
                out.append("(?" + m.group(1) + ":")
                i += 2 + len(m.group(0))
                continue
            raise EvalError(f"error parsing regexp: invalid or unsupported Perl syntax: `{p[i:]}`")
        if ch == "$" and not multiline:
            out.append(r"\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _escape(p: str, i: int, out: list[str]) -> int:
    if i + 1 >= len(p):
        raise EvalError(f"error parsing regexp: trailing backslash at end of expression: `{p}`")
    c = p[i + 1]
    if c == "Q":
        end = p.find("\\E", i + 2)
        literal = p[i + 2 :] if end < 0 else p[i + 2 : end]
        out.append(re.escape(literal))
        return len(p) if end < 0 else end + 2
    if c == "z":
        out.append(r"\Z")
        return i + 2
    if c in "pP":
        raise UnsupportedConstruct(f"Go regexp Unicode class \\{c} in {p!r}")
    if c.isdigit() and c != "0":
        raise EvalError(f"error parsing regexp: invalid escape sequence: `\\{c}`")
    if c == "C" or c == "Z":
        raise EvalError(f"error parsing regexp: invalid escape sequence: `\\{c}`")
    out.append(p[i : i + 2])
    return i + 2


def _char_class(p: str, i: int, out: list[str]) -> int:
    j = i + 1
    buf = ["["]
    if j < len(p) and p[j] == "^":
        buf.append("^")
        j += 1
    if j < len(p) and p[j] == "]":
        buf.append("\\]")
        j += 1
    while j < len(p) and p[j] != "]":
        if p.startswith("[:", j):
            end = p.find(":]", j)
            if end < 0:
                raise EvalError(f"error parsing regexp: missing closing ]: `{p[i:]}`")
            name = p[j + 2 : end]
            negate = name.startswith("^")
            name = name.lstrip("^")
            if name not in _POSIX or negate:
                raise UnsupportedConstruct(f"Go regexp class [:{p[j + 2:end]}:] in {p!r}")
            buf.append(_POSIX[name])
            j = end + 2
            continue
        if p[j] == "\\" and j + 1 < len(p):
            if p[j + 1] in "pP":
                raise UnsupportedConstruct(f"Go regexp Unicode class in {p!r}")
            buf.append(p[j : j + 2])
            j += 2
            continue
        if p[j] == "[":
            buf.append("\\[")
            j += 1
            continue
        buf.append(p[j])
        j += 1
    if j >= len(p):
        raise EvalError(f"error parsing regexp: missing closing ]: `{p[i:]}`")
    buf.append("]")
    out.append("".join(buf))
    return j + 1


def go_match(pattern: str, text: str) -> bool:
    """``regexp.MustCompile(pattern).MatchString(text)`` (unanchored)."""
    return compile_go(pattern).search(text) is not None
