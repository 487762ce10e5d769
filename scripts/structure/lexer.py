"""Rust source to tokens, without comments, whitespace or the insides of literals.

The only place that reads raw Rust text: everything else works on the tokens, so nothing
inside a comment, string or char literal is ever taken for code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """One token: kind is `ident`, `lifetime`, `literal` or `punct`."""

    kind: str
    text: str
    line: int


_WHITESPACE = re.compile(r"\s+")
_RAW_STRING_START = re.compile(r"[bc]?r(#*)\"")
_STRING_START = re.compile(r"[bc]?\"")
_BYTE_CHAR_START = re.compile(r"b'")
_IDENT = re.compile(r"(?:r#)?[^\W\d]\w*")
_NUMBER = re.compile(r"\d\w*(?:\.\d\w*)?")
_MULTI_PUNCT = ("::", "->", "=>")


def tokenize(source: str) -> list[Token]:
    """Returns the tokens of `source`; comments and whitespace are dropped, literals kept
    whole so nothing inside a string or char literal is ever read as code."""
    tokens = []
    pos, line = 0, 1
    if source.startswith("#!") and not source.startswith("#!["):
        pos = source.find("\n") if "\n" in source else len(source)
    while pos < len(source):
        end, kind = _scan_token(source, pos)
        if kind is not None:
            text = source[pos:end]
            if kind == "ident" and text.startswith("r#"):
                text = text[2:]
            tokens.append(Token(kind, text, line))
        line += source.count("\n", pos, end)
        pos = end
    return tokens


def _scan_token(source: str, pos: int) -> tuple[int, str | None]:
    """Returns where the token at `pos` ends and its kind (None for skipped text)."""
    if match := _WHITESPACE.match(source, pos):
        return match.end(), None
    if source.startswith("//", pos):
        end = source.find("\n", pos)
        return (len(source) if end < 0 else end), None
    if source.startswith("/*", pos):
        return _block_comment_end(source, pos), None
    if match := _RAW_STRING_START.match(source, pos):
        closing = '"' + match.group(1)
        end = source.find(closing, match.end())
        return (len(source) if end < 0 else end + len(closing)), "literal"
    if match := _STRING_START.match(source, pos):
        return _quoted_end(source, match.end(), '"'), "literal"
    if match := _BYTE_CHAR_START.match(source, pos):
        return _quoted_end(source, match.end(), "'"), "literal"
    if source[pos] == "'":
        return _char_or_lifetime(source, pos)
    if match := _IDENT.match(source, pos):
        return match.end(), "ident"
    if match := _NUMBER.match(source, pos):
        return match.end(), "literal"
    for punct in _MULTI_PUNCT:
        if source.startswith(punct, pos):
            return pos + len(punct), "punct"
    return pos + 1, "punct"


def _block_comment_end(source: str, pos: int) -> int:
    """Returns the end of the (possibly nested) block comment opening at `pos`."""
    depth, pos = 1, pos + 2
    while pos < len(source) and depth:
        if source.startswith("/*", pos):
            depth, pos = depth + 1, pos + 2
        elif source.startswith("*/", pos):
            depth, pos = depth - 1, pos + 2
        else:
            pos += 1
    return pos


def _quoted_end(source: str, pos: int, quote: str) -> int:
    """Returns the end of a string or char literal whose body starts at `pos`."""
    while pos < len(source):
        if source[pos] == "\\":
            pos += 2
        elif source[pos] == quote:
            return pos + 1
        else:
            pos += 1
    return pos


def _char_or_lifetime(source: str, pos: int) -> tuple[int, str]:
    """Tells `'a'`, `'\\n'` and `'{'` (char literals) from `'a` (a lifetime or label)."""
    if source.startswith("\\", pos + 1):
        return _quoted_end(source, pos + 1, "'"), "literal"
    if pos + 2 < len(source) and source[pos + 2] == "'":
        return pos + 3, "literal"
    match = _IDENT.match(source, pos + 1)
    return (match.end() if match else pos + 1), "lifetime"
