"""Import loops: resolving the paths a file names to the files of its crate, the edges
between files, and their strongly connected components (also used for crate loops)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .filescan import FileScan
from .modules import ModuleTree
from .problem import Problem


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


@dataclass
class Edge:
    """One file naming items of another: the first line doing it and the names used."""

    line: int
    names: set[str] = field(default_factory=set)


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
