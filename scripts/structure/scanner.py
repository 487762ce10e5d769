"""One pass over a file's tokens, tracking scopes and what is test code, into a FileScan.

Test code is skipped everywhere: items under a test `cfg` or with a `#[test]`-like
attribute, `testsuite` modules, and files whose inner attributes mark them as tests.
"""
from __future__ import annotations

from dataclasses import dataclass

from .filescan import FileScan, FnSpan, ModDecl, PathRef
from .lexer import Token, tokenize
from .syntax import classify_attribute, impl_type_name, matching_close, parse_use_tree


# Tokens that start an item; a test attribute before one of these covers the whole item,
# before anything else (a field, a statement, a match arm) only up to the next comma.
ITEM_KEYWORDS = {
    "pub", "fn", "mod", "impl", "use", "const", "static", "struct", "enum", "trait", "type",
    "async", "unsafe", "extern", "macro_rules", "union",
}
# The token before `impl` when it opens an impl block (not `-> impl Trait` or `x: impl T`).
IMPL_ITEM_PREDECESSORS = {None, "}", ";", "{", "]", "unsafe", "default"}


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


def scan_source(source: str) -> FileScan:
    """Scans the text of one Rust file."""
    total_lines = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
    return Scanner(tokenize(source)).scan(total_lines)
