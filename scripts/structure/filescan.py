"""What scanning one file yields: the paths it names, its functions and their lines, its
`mod` declarations and inline modules, and how many of its lines count."""
from __future__ import annotations

from dataclasses import dataclass, field


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
