"""Small parsers over tokens: matching brackets, attributes (test markers and
`#[path]`), use trees, and the self type of an impl header."""
from __future__ import annotations

from dataclasses import dataclass

from .lexer import Token


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
