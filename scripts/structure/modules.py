"""Module trees: which file holds which module of a crate, following `mod` declarations
from each lib and bin target's root, and which files and modules are test code."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .filescan import ModDecl


# Cargo target kinds whose root file starts a module tree we check (not tests, benches,
# examples or build scripts).
ROOT_KINDS = {"lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro", "bin"}


def relative(path: str) -> str:
    """Returns `path` relative to the working directory (the repository root)."""
    return Path(os.path.relpath(path)).as_posix()


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


def crate_files(trees: list[ModuleTree]) -> dict[str, tuple[ModuleTree, tuple]]:
    """Returns the non-test files of a crate's trees, each with the tree it was found in
    first and its module."""
    files = {}
    for tree in trees:
        for file, module in tree.file_modules.items():
            if not tree.modules[module].test:
                files.setdefault(file, (tree, module))
    return files


def package_roots(package: dict) -> list[str]:
    """Returns the root files of a package's lib and bin targets under its src/."""
    source_dir = Path(package["manifest_path"]).parent / "src"
    roots = []
    for target in package["targets"]:
        path = Path(target["src_path"])
        if ROOT_KINDS & set(target["kind"]) and source_dir in path.parents:
            roots.append(relative(str(path)))
    return sorted(roots)


def unreached_files(package: dict, trees: list[ModuleTree]) -> list[str]:
    """Returns the non-test .rs files under a package's src/ that no root compiles."""
    source_dir = Path(relative(str(Path(package["manifest_path"]).parent / "src")))
    reached = {file for tree in trees for file in tree.file_modules}
    return sorted(path.as_posix() for path in source_dir.rglob("*.rs")
                  if path.as_posix() not in reached and not is_test_path(path.as_posix()))
