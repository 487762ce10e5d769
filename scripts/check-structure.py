#!/usr/bin/env python3
"""Fails on structural debts of the Rust code that no compiler or linter catches.

Run from anywhere inside the repository (Python 3.11, standard library only):

    python3 scripts/check-structure.py                # the check test-all runs
    python3 scripts/check-structure.py --list         # also print every known debt in full
    python3 scripts/check-structure.py --write-debts  # rewrite scripts/structure-debts.txt

What it reports (test code excluded everywhere: files named `*_test.rs`, `tests/`
directories, `testsuite` modules, items under `#[cfg(test)]` or
`#[cfg(any(test, feature = "testsuite"))]`, `#[test]`/`#[tokio::test]` functions; files a
test module declares are test code too):

  loop       Files of one crate that name each other's items in a cycle. A file names an
             item of another file through a path: `use crate::a::b::{X, Y}`, `use super::x`,
             `use self::x`, a path relative to a child module (`use jobs::MAX_ID`,
             `jobs::put(..)`, the 2018-edition spelling of `self::jobs`), names brought in by
             a `use` (`use crate::metrics;` then `metrics::statsd::run(..)`), and the same
             paths inline in code (comments and string literals are skipped). A path
             resolves to the deepest module that exists as a module of the crate (a file, or
             an inline `mod` that belongs to its file): `crate::notify::MailTls` names
             `notify/mod.rs` even if that file only re-exports it. A re-export (`pub use`,
             `pub(crate) use`) is not an edge of the file that writes it: publishing a name
             is not using it, and counting it would tie every `lib.rs` to each file that
             names `crate::SomeError`. Files are found by following `mod` declarations from
             each lib and bin target's root (so `#[path]`, used today only on test modules,
             is honoured). Key: the sorted files of one strongly connected component.
  long-fn    A function over 80 lines, from the line of `fn` to its closing brace; nested
             functions and closures count inside their enclosing function and nested
             functions are also measured on their own. Key: file and the name qualified by
             its impl type, inline module and enclosing function (`Tables::open`).
  long-file  A file over 600 lines, not counting a trailing run of test items (the
             `#[cfg(test)] mod tests { .. }` block at the bottom).
  grpc       Generated gRPC code named outside `crates/cluster` (DESIGN §3: "generated gRPC
             types never leave cluster"; STYLE rule 8). Generated is everything under
             `dkron_cluster::rpc::proto` (`tonic::include_proto!` of proto/*.proto: every
             message, the oneof modules such as `run_event`, the `<service>_client` and
             `<service>_server` modules). The JSON framing helpers of
             `crates/cluster/src/rpc/` count as generated too, because they take or return
             generated messages (`to_json`/`from_json`/`json_status` take or make
             `proto::Json`): the script finds them as the `pub fn`s of that folder whose
             signature names a proto message. Not generated, so allowed: `rpc::Channels`
             (plain tonic channels) and the typed services and clients that cluster defines
             itself (`RaftService`, `ServerService`, `forward_write`, ...). A path segment
             named like a generated service module (`node_client`, `leader_server`, ...)
             counts wherever it appears, so a re-export under another name is caught too.
             Key: one per file.
  crate-loop Workspace crates that depend on each other in a cycle over normal and build
             dependencies (`cargo metadata`); dev-dependency cycles are allowed.

Known problems are listed in scripts/structure-debts.txt, one key a line. The check fails
on a problem that is not listed ("new: ...") and on a listed one that no longer exists
("fixed, remove from scripts/structure-debts.txt: ..."), so the list only shrinks.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MAX_FN_LINES = 80
MAX_FILE_LINES = 600
DEBTS_FILE = "scripts/structure-debts.txt"
CLUSTER_PACKAGE = "dkron-cluster"
# Where the generated module sits inside the cluster crate, and the folder of its helpers.
GENERATED_MODULE = ("rpc", "proto")
RPC_SOURCE_DIR = "crates/cluster/src/rpc"
PROTO_DIR = "proto"
# Cargo target kinds whose root file starts a module tree we check (not tests, benches,
# examples or build scripts).
ROOT_KINDS = {"lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro", "bin"}

DEBTS_HEADER = """\
# Known structural debts of the Rust code, checked by scripts/check-structure.py (run by
# scripts/test-all). One problem a line: `loop <files>`, `long-fn <file> <fn>`,
# `long-file <file>`, `grpc <file>`, `crate-loop <crates>`.
#
# This list must only shrink: the check fails on a problem that is not listed here and on
# a listed problem that is gone, so whoever fixes one deletes its line in the same commit.
# It must be empty when issue 12 (the structure of the code) is done. Do not add lines by
# hand to silence the check; fix the code instead.
"""


# ---------------------------------------------------------------------------------------
# Lexer: Rust source to tokens, without comments, whitespace or the insides of literals.
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Attributes and use trees.
# ---------------------------------------------------------------------------------------


def matching_close(tokens: list[Token], open_index: int) -> int:
    """Returns the index of the bracket closing the one at `open_index` (or the end)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opener = tokens[open_index].text
    closer, depth = pairs[opener], 0
    for index in range(open_index, len(tokens)):
        if tokens[index].text == opener:
            depth += 1
        elif tokens[index].text == closer:
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


@dataclass
class Attribute:
    """What the script needs of one attribute."""

    test: bool = False  # the item is test code (cfg(test), #[test], #[tokio::test], ...)
    path: str | None = None  # the value of #[path = "..."]


def classify_attribute(body: list[Token]) -> Attribute:
    """Reads the tokens between `#[` and `]`."""
    if not body:
        return Attribute()
    if body[0].text == "cfg" and len(body) > 2 and body[1].text == "(":
        try:
            return Attribute(test=cfg_is_test_only(body, 2)[0])
        except IndexError:  # not a well-formed predicate: not a test marker
            return Attribute()
    if body[0].text == "path" and len(body) > 2 and body[1].text == "=":
        return Attribute(path=body[2].text.strip('"'))
    path_end = 0
    while path_end + 2 < len(body) and body[path_end + 1].text == "::":
        path_end += 2
    return Attribute(test=body[path_end].text == "test")


def cfg_is_test_only(tokens: list[Token], index: int) -> tuple[bool, int]:
    """Evaluates the cfg predicate at `index`: true when it only holds in test builds
    (`test`, `feature = "testsuite"`, `all(..)` with one such part, `any(..)` made only of
    them). Returns the answer and the index after the predicate."""
    token = tokens[index]
    if token.text in ("all", "any", "not") and tokens[index + 1].text == "(":
        close = matching_close(tokens, index + 1)
        parts, cursor = [], index + 2
        while cursor < close:
            answer, cursor = cfg_is_test_only(tokens, cursor)
            parts.append(answer)
            if tokens[cursor].text == ",":
                cursor += 1
        if token.text == "all":
            return any(parts), close + 1
        if token.text == "any":
            return bool(parts) and all(parts), close + 1
        return False, close + 1
    if index + 2 < len(tokens) and tokens[index + 1].text == "=":
        return token.text == "feature" and tokens[index + 2].text == '"testsuite"', index + 3
    return token.text == "test", index + 1


@dataclass(frozen=True)
class UseItem:
    """One leaf of a use tree: the full path, the name it binds (None for a glob or
    `as _`), and whether it is a glob."""

    segments: tuple[str, ...]
    binding: str | None
    glob: bool = False


def parse_use_tree(tokens: list[Token], index: int, prefix: tuple[str, ...] = ()):
    """Parses the use tree starting at `index` (after `use` or inside braces). Returns its
    leaves and the index after the tree."""
    segments = list(prefix)
    if tokens[index].text == "::":
        index += 1
    while tokens[index].kind == "ident" or tokens[index].text == "$":
        if tokens[index].text == "$":
            index += 1
            continue
        segments.append(tokens[index].text)
        index += 1
        if tokens[index].text != "::":
            break
        index += 1
    if tokens[index].text == "*":
        return [UseItem(tuple(segments), None, glob=True)], index + 1
    if tokens[index].text == "{":
        return _parse_use_group(tokens, index, tuple(segments))
    return _finish_use_leaf(tokens, index, tuple(segments))


def _parse_use_group(tokens: list[Token], index: int, prefix: tuple[str, ...]):
    """Parses `{a, b::c, self}` after `prefix`."""
    close = matching_close(tokens, index)
    items, index = [], index + 1
    while index < close:
        leaves, after = parse_use_tree(tokens, index, prefix)
        items.extend(leaves)
        index = max(after, index + 1)
        if tokens[index].text == ",":
            index += 1
    return items, close + 1


def _finish_use_leaf(tokens: list[Token], index: int, segments: tuple[str, ...]):
    """Handles a leaf's `self` and `as name`."""
    if segments and segments[-1] == "self":
        segments = segments[:-1]
    binding = segments[-1] if segments else None
    if tokens[index].text == "as":
        alias = tokens[index + 1].text
        binding = None if alias == "_" else alias
        index += 2
    return [UseItem(segments, binding)], index


# ---------------------------------------------------------------------------------------
# Scanner: one pass over a file's tokens, tracking scopes and what is test code.
# ---------------------------------------------------------------------------------------

# Tokens that start an item; a test attribute before one of these covers the whole item,
# before anything else (a field, a statement, a match arm) only up to the next comma.
ITEM_KEYWORDS = {
    "pub", "fn", "mod", "impl", "use", "const", "static", "struct", "enum", "trait", "type",
    "async", "unsafe", "extern", "macro_rules", "union",
}
# The token before `impl` when it opens an impl block (not `-> impl Trait` or `x: impl T`).
IMPL_ITEM_PREDECESSORS = {None, "}", ";", "{", "]", "unsafe", "default"}


@dataclass
class PathRef:
    """A path of two or more segments named outside test code."""

    segments: tuple[str, ...]
    line: int
    module: tuple[str, ...]  # the inline modules around it, outermost first
    from_use: bool
    binding: str | None = None
    glob: bool = False
    reexport: bool = False  # a `pub use`, `pub(crate) use`, ...


@dataclass
class FnSpan:
    """A function outside test code and the lines it spans."""

    name: str
    start: int
    end: int = 0

    @property
    def lines(self) -> int:
        """Returns how many lines the function spans, both ends included."""
        return self.end - self.start + 1


@dataclass
class ModDecl:
    """A `mod name;` declaration whose module lives in another file."""

    name: str
    line: int
    test: bool
    path: str | None
    module: tuple[str, ...]


@dataclass
class FileScan:
    """What one file declares and names, outside test code unless said otherwise."""

    refs: list[PathRef] = field(default_factory=list)
    fns: list[FnSpan] = field(default_factory=list)
    mod_decls: list[ModDecl] = field(default_factory=list)
    inline_mods: dict[tuple[str, ...], bool] = field(default_factory=dict)  # -> is test
    test_file: bool = False
    total_lines: int = 0
    counted_lines: int = 0


@dataclass
class Scope:
    """One open brace: a module, impl or trait, function, or any other block."""

    kind: str
    name: str | None
    test: bool
    span: FnSpan | None = None


@dataclass
class Pending:
    """An item header seen whose body brace has not come yet."""

    kind: str
    name: str
    depth: tuple[int, int]
    line: int = 0
    test: bool = False


@dataclass
class TestItem:
    """A test attribute's item, open until its end at `depth` (braces, parens)."""

    depth: tuple[int, int]
    is_item: bool


class Scanner:
    """Scans one file's tokens into a FileScan."""

    def __init__(self, tokens: list[Token]):
        last_line = tokens[-1].line if tokens else 1
        # Sentinels, so looking a few tokens ahead never runs off the end.
        self.tokens = tokens + [Token("end", "", last_line)] * 3
        self.token_count = len(tokens)
        self.index = 0
        self.scopes: list[Scope] = []
        self.parens = 0
        self.attribute_test = False
        self.attribute_path: str | None = None
        self.test_item: TestItem | None = None
        self.pending: Pending | None = None
        self.result = FileScan()
        self.last_code_line = 0
        self.first_test_line_after_code: int | None = None

    def scan(self, total_lines: int) -> FileScan:
        """Runs the scan; `total_lines` is the file's line count."""
        while self.index < self.token_count:
            token = self.tokens[self.index]
            if token.text == "#" and self._attribute_follows():
                self._read_attribute()
                continue
            self._start_item(token)
            self._note_line(token.line, self._in_test())
            self.index = self._handle(token)
        self.result.total_lines = total_lines
        trailing = self.first_test_line_after_code
        self.result.counted_lines = total_lines if trailing is None else trailing - 1
        return self.result

    def _depth(self) -> tuple[int, int]:
        return len(self.scopes), self.parens

    def _in_test(self) -> bool:
        if self.test_item is not None or self.result.test_file:
            return True
        return bool(self.scopes) and self.scopes[-1].test

    def _module(self) -> tuple[str, ...]:
        return tuple(scope.name for scope in self.scopes if scope.kind == "mod")

    def _qualify(self, name: str) -> str:
        outer = [s.name for s in self.scopes if s.kind in ("mod", "impl", "fn") and s.name]
        return "::".join([*outer, name])

    def _note_line(self, line: int, test: bool) -> None:
        """Remembers where code ends and a trailing run of test code starts."""
        if not test:
            self.last_code_line = line
            self.first_test_line_after_code = None
        elif self.first_test_line_after_code is None:
            self.first_test_line_after_code = line

    def _attribute_follows(self) -> bool:
        following = [token.text for token in self.tokens[self.index + 1:self.index + 3]]
        return following[:1] == ["["] or following == ["!", "["]

    def _read_attribute(self) -> None:
        """Reads `#[..]` or `#![..]` and remembers what it says about the next item."""
        inner = self.tokens[self.index + 1].text == "!"
        open_index = self.index + (2 if inner else 1)
        close = matching_close(self.tokens, open_index)
        attribute = classify_attribute(self.tokens[open_index + 1:close])
        self._note_line(self.tokens[self.index].line, attribute.test or self._in_test())
        if inner and attribute.test:
            if self.scopes:
                self.scopes[-1].test = True
            else:
                self.result.test_file = True
        elif not inner:
            self.attribute_test |= attribute.test
            self.attribute_path = attribute.path or self.attribute_path
        self.index = close + 1

    def _start_item(self, token: Token) -> None:
        """Opens the test item that the attributes just read announced."""
        if self.attribute_test and self.test_item is None:
            self.test_item = TestItem(self._depth(), token.text in ITEM_KEYWORDS)
        self.attribute_test = False

    def _end_test_item_at(self, depth: tuple[int, int], also_below: bool = False) -> None:
        item = self.test_item
        if item is not None and (depth == item.depth or (also_below and depth < item.depth)):
            self.test_item = None

    def _handle(self, token: Token) -> int:
        """Handles one token and returns the index of the next one to look at."""
        handlers = {
            "{": self._open_brace, "}": self._close_brace, ";": self._semicolon,
            ",": self._comma, "(": self._open_paren, "[": self._open_paren,
            ")": self._close_paren, "]": self._close_paren,
        }
        keywords = {"fn": self._fn, "mod": self._mod, "impl": self._impl,
                    "trait": self._trait, "use": self._use}
        if token.kind == "punct" and token.text in handlers:
            handlers[token.text](token)
            return self.index + 1
        if token.kind == "ident" and token.text in keywords:
            return keywords[token.text](token)
        if token.kind == "ident":
            self._path(token)
        return self.index + 1

    def _open_paren(self, _token: Token) -> None:
        self.parens += 1

    def _close_paren(self, _token: Token) -> None:
        self.parens -= 1
        self._end_test_item_at(self._depth(), also_below=True)

    def _comma(self, _token: Token) -> None:
        if self.test_item is not None and not self.test_item.is_item:
            self._end_test_item_at(self._depth())

    def _semicolon(self, _token: Token) -> None:
        self._end_test_item_at(self._depth())
        if self.pending is not None and self.pending.depth == self._depth():
            self.pending = None
        self.attribute_path = None

    def _open_brace(self, token: Token) -> None:
        """Opens a scope: the body of the pending fn, mod or impl, or a plain block."""
        test = self._in_test()
        pending = self.pending
        if pending is not None and pending.depth == self._depth():
            self.pending = None
            scope = self._scope_for(pending, token, test)
        else:
            scope = Scope("block", None, test)
        self.scopes.append(scope)
        self.attribute_path = None

    def _scope_for(self, pending: Pending, token: Token, test: bool) -> Scope:
        if pending.kind == "fn":
            span = FnSpan(self._qualify(pending.name), pending.line)
            return Scope("fn", pending.name, test or pending.test, span)
        if pending.kind == "mod":
            test = test or pending.name == "testsuite"
            self.result.inline_mods[self._module() + (pending.name,)] = test
        return Scope(pending.kind, pending.name, test)

    def _close_brace(self, token: Token) -> None:
        if not self.scopes:
            return
        scope = self.scopes.pop()
        if scope.span is not None and not scope.test:
            scope.span.end = token.line
            self.result.fns.append(scope.span)
        self._end_test_item_at(self._depth(), also_below=True)

    def _fn(self, token: Token) -> int:
        following = self.tokens[self.index + 1]
        if following.kind == "ident":
            self.pending = Pending("fn", following.text, self._depth(), token.line,
                                   self._in_test())
            return self.index + 2
        return self.index + 1

    def _mod(self, token: Token) -> int:
        name_token, after = self.tokens[self.index + 1], self.tokens[self.index + 2]
        if after.text == ";":
            test = self._in_test() or name_token.text == "testsuite"
            self.result.mod_decls.append(ModDecl(
                name_token.text, token.line, test, self.attribute_path, self._module()))
            self.attribute_path = None
        elif after.text == "{":
            self.pending = Pending("mod", name_token.text, self._depth())
        return self.index + 2

    def _impl(self, _token: Token) -> int:
        previous = self.tokens[self.index - 1].text if self.index else None
        if previous in IMPL_ITEM_PREDECESSORS and self.parens == 0:
            name = impl_type_name(self.tokens, self.index + 1)
            if name:
                self.pending = Pending("impl", name, self._depth())
        return self.index + 1

    def _trait(self, _token: Token) -> int:
        name = self.tokens[self.index + 1]
        if name.kind == "ident":
            self.pending = Pending("impl", name.text, self._depth())
        return self.index + 1

    def _use(self, token: Token) -> int:
        """Records every leaf of a use declaration; returns the index of its `;`."""
        items, end = parse_use_tree(self.tokens, self.index + 1)
        reexport = self._after_visibility()
        if not self._in_test():
            for item in items:
                self.result.refs.append(PathRef(item.segments, token.line, self._module(),
                                                True, item.binding, item.glob, reexport))
        return end

    def _after_visibility(self) -> bool:
        """Returns whether the current token follows `pub` or `pub(..)`."""
        previous = self.index - 1
        if previous >= 0 and self.tokens[previous].text == ")":
            while previous >= 0 and self.tokens[previous].text != "(":
                previous -= 1
            previous -= 1
        return previous >= 0 and self.tokens[previous].text == "pub"

    def _path(self, token: Token) -> None:
        """Records an inline path such as `crate::a::f` or `super::jobs::delete`."""
        previous = self.tokens[self.index - 1].text if self.index else None
        if previous == "::" or self._in_test():
            return
        segments, cursor = [token.text], self.index + 1
        while (cursor + 1 < len(self.tokens) and self.tokens[cursor].text == "::"
               and self.tokens[cursor + 1].kind == "ident"):
            segments.append(self.tokens[cursor + 1].text)
            cursor += 2
        if len(segments) > 1:
            self.result.refs.append(PathRef(tuple(segments), token.line, self._module(), False))


def impl_type_name(tokens: list[Token], index: int) -> str | None:
    """Returns the self type's name of the impl whose header starts at `index`
    (`impl<T> Trait for Name<T> where .. {` gives `Name`)."""
    angle, name = 0, None
    while index < len(tokens):
        text = tokens[index].text
        if text == "<":
            angle += 1
        elif text == ">":
            angle -= 1
        elif angle == 0 and (text in ("{", ";", "where")):
            break
        elif angle == 0 and text == "for":
            name = None
        elif angle == 0 and tokens[index].kind == "ident" and text not in ("dyn", "const"):
            name = text
        index += 1
    return name


def scan_source(source: str) -> FileScan:
    """Scans the text of one Rust file."""
    total_lines = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
    return Scanner(tokenize(source)).scan(total_lines)


# ---------------------------------------------------------------------------------------
# Module trees: which file holds which module, following `mod` declarations from a root.
# ---------------------------------------------------------------------------------------


@dataclass
class Module:
    """A module of a crate: the file holding it and whether it is test code."""

    file: str
    test: bool


@dataclass
class ModuleTree:
    """The modules of one compilation root (a lib or a bin target)."""

    root_file: str
    modules: dict[tuple[str, ...], Module] = field(default_factory=dict)
    file_modules: dict[str, tuple[str, ...]] = field(default_factory=dict)


def is_test_path(path: str) -> bool:
    """Returns whether a file is test code by its name alone."""
    parts = Path(path).parts
    return (path.endswith("_test.rs") or "tests" in parts[:-1] or "testsuite" in parts[:-1]
            or Path(path).stem == "testsuite")


def child_file(parent: str, parent_is_mod_rs: bool, decl: ModDecl, exists) -> str | None:
    """Returns the file that `mod name;` in `parent` loads, or None if none exists."""
    parent_dir = Path(parent).parent
    if decl.path is not None:
        candidate = parent_dir.joinpath(*decl.module, decl.path)
        return candidate.as_posix() if exists(candidate.as_posix()) else None
    base = parent_dir if parent_is_mod_rs else parent_dir / Path(parent).stem
    base = base.joinpath(*decl.module)
    for candidate in (base / f"{decl.name}.rs", base / decl.name / "mod.rs"):
        if exists(candidate.as_posix()):
            return candidate.as_posix()
    return None


def build_module_tree(root_file: str, scan_file, exists) -> ModuleTree:
    """Follows the `mod` declarations from `root_file`. `scan_file(path)` returns a file's
    FileScan and `exists(path)` tells whether a file exists."""
    tree = ModuleTree(root_file)
    todo = [(root_file, (), False, True)]
    while todo:
        file, module, test, is_mod_rs = todo.pop()
        if file in tree.file_modules:
            continue
        scan = scan_file(file)
        test = test or scan.test_file or is_test_path(file)
        tree.modules[module] = Module(file, test)
        tree.file_modules[file] = module
        for inline, inline_test in scan.inline_mods.items():
            tree.modules[module + inline] = Module(file, test or inline_test)
        for decl in scan.mod_decls:
            child = child_file(file, is_mod_rs, decl, exists)
            if child is not None:
                child_test = test or decl.test or tree.modules[module + decl.module].test
                todo.append((child, module + decl.module + (decl.name,), child_test,
                             Path(child).name == "mod.rs"))
    return tree


# ---------------------------------------------------------------------------------------
# Resolving paths to files.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """Where a path leads: a file of this crate (with the item name used) or, for a path
    into another crate, its full segments."""

    file: str | None
    name: str
    external: tuple[str, ...] = ()


def file_aliases(scan: FileScan, file_module: tuple[str, ...]) -> dict[str, tuple]:
    """Returns the names a file's `use` declarations bind: name -> (segments, context)."""
    aliases = {}
    for ref in scan.refs:
        if ref.from_use and ref.binding and not ref.glob and ref.segments:
            aliases.setdefault(ref.binding, (ref.segments, file_module + ref.module))
    return aliases


def path_base(tree: ModuleTree, context: tuple, segments: tuple, aliases: dict, depth=0):
    """Returns the module a path starts from and its remaining segments; or None and the
    expanded segments when it leads out of the crate (or nowhere known)."""
    first, rest = segments[0], segments[1:]
    if first == "crate":
        return (), rest
    if first == "self":
        return context, rest
    if first == "super":
        base = context
        while segments and segments[0] == "super":
            base, segments = base[:-1], segments[1:]
        return base, segments
    if context + (first,) in tree.modules:
        return context + (first,), rest
    if first in aliases and depth < 8 and aliases[first][0] != segments[:1]:
        target, alias_context = aliases[first]
        return path_base(tree, alias_context, target + rest, aliases, depth + 1)
    return None, segments


def resolve(tree: ModuleTree, context: tuple, segments: tuple, aliases: dict) -> Resolved:
    """Resolves a path named in module `context` to the deepest module of the crate it
    reaches (a module of a file, or an inline module, which stays in its file)."""
    base, rest = path_base(tree, context, segments, aliases)
    if base is None:
        return Resolved(None, "", tuple(rest))
    if base not in tree.modules:
        return Resolved(None, "")
    module, rest = base, list(rest)
    while rest and module + (rest[0],) in tree.modules:
        module, rest = module + (rest.pop(0),), rest
    name = rest[0] if rest else (module[-1] if module else "crate")
    return Resolved(tree.modules[module].file, name)


# ---------------------------------------------------------------------------------------
# Graphs.
# ---------------------------------------------------------------------------------------


def strongly_connected(successors: dict[str, list[str]]) -> list[list[str]]:
    """Returns the strongly connected components of a graph (Tarjan, without recursion);
    every node must be a key of `successors`."""
    index_of, low, on_stack, stack, components = {}, {}, set(), [], []
    for start in sorted(successors):
        if start in index_of:
            continue
        work = [(start, iter(successors[start]))]
        index_of[start] = low[start] = len(index_of)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index_of[node]:
                    components.append(_pop_component(stack, on_stack, node))
            elif child not in index_of:
                index_of[child] = low[child] = len(index_of)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(successors[child])))
            elif child in on_stack:
                low[node] = min(low[node], index_of[child])
    return components


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    component = []
    while True:
        node = stack.pop()
        on_stack.discard(node)
        component.append(node)
        if node == root:
            return sorted(component)


# ---------------------------------------------------------------------------------------
# The checks. Each returns Problems: a stable key (the debt list's line) and the details.
# ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One structural problem."""

    key: str
    details: list[str]

    @property
    def kind(self) -> str:
        """Returns the first word of the key (`loop`, `long-fn`, ...)."""
        return self.key.split()[0]


@dataclass
class Edge:
    """One file naming items of another: the first line doing it and the names used."""

    line: int
    names: set[str] = field(default_factory=set)


def crate_files(trees: list[ModuleTree]) -> dict[str, tuple[ModuleTree, tuple]]:
    """Returns the non-test files of a crate's trees, each with the tree it was found in
    first and its module."""
    files = {}
    for tree in trees:
        for file, module in tree.file_modules.items():
            if not tree.modules[module].test:
                files.setdefault(file, (tree, module))
    return files


def import_edges(trees: list[ModuleTree], scan_file) -> dict[tuple[str, str], Edge]:
    """Returns which non-test file names items of which other non-test file."""
    edges: dict[tuple[str, str], Edge] = {}
    for tree in trees:
        for file, module in tree.file_modules.items():
            if tree.modules[module].test:
                continue
            scan = scan_file(file)
            aliases = file_aliases(scan, module)
            for ref in scan.refs:
                if ref.reexport:
                    continue
                target = resolve(tree, module + ref.module, ref.segments, aliases)
                if target.file is None or target.file == file:
                    continue
                if tree.modules[tree.file_modules[target.file]].test:
                    continue
                edge = edges.setdefault((file, target.file), Edge(ref.line))
                edge.line = min(edge.line, ref.line)
                edge.names.add(target.name)
    return edges


def loop_problems(trees: list[ModuleTree], scan_file) -> list[Problem]:
    """Reports each strongly connected component of more than one file."""
    edges = import_edges(trees, scan_file)
    successors: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        successors.setdefault(source, []).append(target)
        successors.setdefault(target, [])
    problems = []
    for component in strongly_connected(successors):
        if len(component) < 2:
            continue
        members = set(component)
        details = [
            f"{source}:{edge.line} -> {target} ({', '.join(sorted(edge.names))})"
            for (source, target), edge in sorted(edges.items())
            if source in members and target in members
        ]
        problems.append(Problem("loop " + " ".join(component), details))
    return problems


def long_fn_problems(file: str, scan: FileScan) -> list[Problem]:
    """Reports the functions of a non-test file over MAX_FN_LINES lines."""
    by_key: dict[str, Problem] = {}
    for span in scan.fns:
        if span.lines > MAX_FN_LINES:
            key = f"long-fn {file} {span.name}"
            problem = by_key.setdefault(key, Problem(key, []))
            problem.details.append(
                f"{file}:{span.start}: fn {span.name} is {span.lines} lines"
                f" (at most {MAX_FN_LINES} outside tests)")
    return list(by_key.values())


def long_file_problems(file: str, scan: FileScan) -> list[Problem]:
    """Reports a non-test file over MAX_FILE_LINES lines."""
    if scan.counted_lines <= MAX_FILE_LINES:
        return []
    trailing = scan.total_lines - scan.counted_lines
    note = f", not counting {trailing} lines of tests at its end" if trailing else ""
    return [Problem(f"long-file {file}", [
        f"{file}:1: {scan.counted_lines} lines{note} (at most {MAX_FILE_LINES})"])]


@dataclass
class GrpcRule:
    """What counts as generated gRPC code of the cluster crate (see the module doc)."""

    crate_names: set[str]  # how other crates call dkron-cluster (`dkron_cluster`)
    helpers: set[str]  # rpc helpers that take or return generated messages
    service_modules: set[str]  # `node_client`, `node_server`, ... of proto/*.proto

    def names_generated(self, segments: tuple[str, ...], glob: bool = False) -> bool:
        """Returns whether a path (in full, after aliases) names generated code."""
        if any(segment in self.service_modules for segment in segments):
            return True
        if not segments or segments[0] not in self.crate_names:
            return False
        inside = segments[1:]
        rpc, proto = GENERATED_MODULE
        if inside[:2] == (rpc, proto) or (glob and inside == (rpc,)):
            return True
        return len(inside) >= 2 and inside[0] == rpc and inside[1] in self.helpers


def snake_case(name: str) -> str:
    """Returns `RaftLog` as `raft_log`, as prost names a service's modules."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def grpc_rule_from_sources(proto_texts: list[str], rpc_sources: list[str]) -> GrpcRule:
    """Builds the rule from the .proto files and the sources of cluster's rpc folder:
    the helpers are the `pub fn`s whose signature names a proto message."""
    services, messages = set(), set()
    for text in proto_texts:
        services.update(re.findall(r"^\s*service\s+(\w+)", text, re.MULTILINE))
        messages.update(re.findall(r"^\s*message\s+(\w+)", text, re.MULTILINE))
    modules = {f"{snake_case(s)}_{side}" for s in services for side in ("client", "server")}
    helpers = set()
    for source in rpc_sources:
        tokens = tokenize(source)
        for index in range(len(tokens) - 2):
            if tokens[index].text == "pub" and tokens[index + 1].text == "fn":
                signature = _signature_tokens(tokens, index + 2)
                if any(token.text in messages for token in signature):
                    helpers.add(tokens[index + 2].text)
    return GrpcRule({"dkron_cluster"}, helpers, modules)


def _signature_tokens(tokens: list[Token], index: int) -> list[Token]:
    end = index
    while end < len(tokens) and tokens[end].text not in ("{", ";"):
        end += 1
    return tokens[index:end]


def grpc_problems(file: str, tree: ModuleTree, scan: FileScan, rule: GrpcRule):
    """Reports a non-test file of another crate naming generated gRPC code. A name used
    through an import that is itself reported is not reported again."""
    module = tree.file_modules[file]
    aliases = file_aliases(scan, module)
    details = []
    for ref in scan.refs:
        expanded = resolve(tree, module + ref.module, ref.segments, aliases).external
        if not expanded or not rule.names_generated(expanded, ref.glob):
            continue
        if not ref.from_use and ref.segments[0] in aliases:
            alias_target = resolve(tree, module, (ref.segments[0],), aliases).external
            if alias_target and rule.names_generated(alias_target):
                continue
        details.append(f"{file}:{ref.line}: names generated gRPC code {'::'.join(expanded)}")
    if details:
        details.append("(generated types stay in crates/cluster: use a typed client or"
                       " service that dkron-cluster offers instead)")
    return [Problem(f"grpc {file}", details)] if details else []


def crate_loop_problems(metadata: dict) -> list[Problem]:
    """Reports workspace crates in a dependency cycle over normal and build edges."""
    packages = {package["name"]: package for package in metadata["packages"]}
    successors = {
        name: sorted({dependency["name"] for dependency in package["dependencies"]
                      if dependency["name"] in packages and dependency["name"] != name
                      and dependency["kind"] in (None, "build")})
        for name, package in packages.items()
    }
    problems = []
    for component in strongly_connected(successors):
        if len(component) < 2:
            continue
        details = []
        for name in component:
            manifest = relative(packages[name]["manifest_path"])
            for target in successors[name]:
                if target in component:
                    line = manifest_line(manifest, target)
                    details.append(f"{manifest}:{line}: {name} depends on {target}")
        problems.append(Problem("crate-loop " + " ".join(component), details))
    return problems


def manifest_line(manifest: str, dependency: str) -> int:
    """Returns the line of a Cargo.toml that declares `dependency` (1 if not found)."""
    pattern = re.compile(rf"^\s*\"?{re.escape(dependency)}\"?\s*[.=]")
    with open(manifest, encoding="utf-8") as text:
        for number, line in enumerate(text, start=1):
            if pattern.match(line):
                return number
    return 1


# ---------------------------------------------------------------------------------------
# The workspace: packages, their module trees, every check over them.
# ---------------------------------------------------------------------------------------


def relative(path: str) -> str:
    """Returns `path` relative to the working directory (the repository root)."""
    return Path(os.path.relpath(path)).as_posix()


class SourceCache:
    """Reads and scans each file once."""

    def __init__(self):
        self.scans: dict[str, FileScan] = {}

    def scan(self, path: str) -> FileScan:
        """Returns the scan of a file."""
        if path not in self.scans:
            with open(path, encoding="utf-8") as source:
                self.scans[path] = scan_source(source.read())
        return self.scans[path]


def package_roots(package: dict) -> list[str]:
    """Returns the root files of a package's lib and bin targets under its src/."""
    source_dir = Path(package["manifest_path"]).parent / "src"
    roots = []
    for target in package["targets"]:
        path = Path(target["src_path"])
        if ROOT_KINDS & set(target["kind"]) and source_dir in path.parents:
            roots.append(relative(str(path)))
    return sorted(roots)


def cluster_crate_names(package: dict) -> set[str]:
    """Returns the names under which a package's code sees dkron-cluster."""
    return {(dependency.get("rename") or dependency["name"]).replace("-", "_")
            for dependency in package["dependencies"]
            if dependency["name"] == CLUSTER_PACKAGE}


def unreached_files(package: dict, trees: list[ModuleTree]) -> list[str]:
    """Returns the non-test .rs files under a package's src/ that no root compiles."""
    source_dir = Path(relative(str(Path(package["manifest_path"]).parent / "src")))
    reached = {file for tree in trees for file in tree.file_modules}
    return sorted(path.as_posix() for path in source_dir.rglob("*.rs")
                  if path.as_posix() not in reached and not is_test_path(path.as_posix()))


def package_problems(package: dict, cache: SourceCache, rule: GrpcRule) -> list[Problem]:
    """Runs the per-crate checks (loops, long fns and files, generated gRPC code)."""
    trees = [build_module_tree(root, cache.scan, os.path.isfile)
             for root in package_roots(package)]
    problems = loop_problems(trees, cache.scan)
    check_grpc = package["name"] != CLUSTER_PACKAGE
    package_rule = GrpcRule(cluster_crate_names(package) | rule.crate_names,
                            rule.helpers, rule.service_modules)
    for file, (tree, _module) in sorted(crate_files(trees).items()):
        scan = cache.scan(file)
        problems += long_fn_problems(file, scan) + long_file_problems(file, scan)
        if check_grpc:
            problems += grpc_problems(file, tree, scan, package_rule)
    for file in unreached_files(package, trees):
        print(f"warning: {file} is not compiled by any target of {package['name']}"
              " (not checked)", file=sys.stderr)
    return problems


def load_grpc_rule() -> GrpcRule:
    """Reads the rule's sources; stops if cluster's rpc module no longer looks as the rule
    assumes, so the rule gets updated with it."""
    rpc_mod = Path(RPC_SOURCE_DIR) / "mod.rs"
    text = rpc_mod.read_text(encoding="utf-8")
    if not re.search(r"pub(?:\(crate\))? mod proto\s*\{\s*tonic::include_proto!", text):
        sys.exit(f"{rpc_mod}: the generated code is no longer `pub(crate) mod proto {{"
                 " tonic::include_proto!(..) }`: update GENERATED_MODULE and the rule in"
                 " scripts/check-structure.py")
    protos = [p.read_text(encoding="utf-8") for p in sorted(Path(PROTO_DIR).glob("*.proto"))]
    sources = [p.read_text(encoding="utf-8") for p in sorted(Path(RPC_SOURCE_DIR).glob("*.rs"))]
    return grpc_rule_from_sources(protos, sources)


def workspace_problems(metadata: dict) -> list[Problem]:
    """Runs every check over the workspace."""
    cache, rule = SourceCache(), load_grpc_rule()
    problems = crate_loop_problems(metadata)
    for package in sorted(metadata["packages"], key=lambda package: package["name"]):
        problems += package_problems(package, cache, rule)
    return sorted(problems, key=lambda problem: problem.key)


# ---------------------------------------------------------------------------------------
# The debt list and the command line.
# ---------------------------------------------------------------------------------------


def read_debts(path: Path) -> list[str]:
    """Returns the keys of the debt list (comments and blank lines dropped)."""
    if not path.exists():
        return []
    keys = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            keys.append(" ".join(line.split()))
    return keys


def write_debts(path: Path, problems: list[Problem]) -> None:
    """Writes every problem's key to the debt list, grouped by kind."""
    lines, kind = [DEBTS_HEADER.rstrip("\n")], None
    for problem in sorted(problems, key=lambda problem: (problem.kind, problem.key)):
        if problem.kind != kind:
            kind = problem.kind
            lines.append("")
        lines.append(problem.key)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compare(problems: list[Problem], debts: list[str]):
    """Returns the problems not in the list, the listed debts that are gone, and the keys
    listed more than once."""
    keys = {problem.key for problem in problems}
    new = [problem for problem in problems if problem.key not in set(debts)]
    fixed = sorted(set(debts) - keys)
    twice = sorted({key for key in debts if debts.count(key) > 1})
    return new, fixed, twice


def print_problem(prefix: str, problem: Problem) -> None:
    """Prints a problem's key and its details."""
    print(f"{prefix}{problem.key}")
    for detail in problem.details:
        print(f"    {detail}")


def summary(problems: list[Problem]) -> str:
    """Returns the count of problems per kind."""
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem.kind] = counts.get(problem.kind, 0) + 1
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items())) or "none"


def report(problems: list[Problem], debts: list[str], list_all: bool) -> int:
    """Prints the outcome against the debt list and returns the exit status."""
    new, fixed, twice = compare(problems, debts)
    if list_all:
        for problem in problems:
            print_problem("known: " if problem not in new else "new: ", problem)
    else:
        for problem in new:
            print_problem("new: ", problem)
    for key in fixed:
        print(f"fixed, remove from {DEBTS_FILE}: {key}")
    for key in twice:
        print(f"listed more than once in {DEBTS_FILE}: {key}")
    if new or fixed or twice:
        print(f"\nstructure check failed: {len(new)} new, {len(fixed)} fixed and still"
              f" listed. Fix new problems (see the docstring of scripts/check-structure.py);"
              f" delete the lines of fixed ones from {DEBTS_FILE}.")
        return 1
    print(f"structure ok: {len(problems)} known debts ({summary(problems)}), nothing new")
    return 0


def main() -> int:
    """Runs the check from the repository root."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-debts", action="store_true",
                        help=f"rewrite {DEBTS_FILE} with every problem found today")
    parser.add_argument("--list", action="store_true", help="print every problem in full")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)
    metadata = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"]))
    problems = workspace_problems(metadata)
    if args.write_debts:
        write_debts(Path(DEBTS_FILE), problems)
        print(f"wrote {len(problems)} debts to {DEBTS_FILE} ({summary(problems)})")
        return 0
    return report(problems, read_debts(Path(DEBTS_FILE)), args.list)


if __name__ == "__main__":
    sys.exit(main())
