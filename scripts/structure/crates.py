"""Crate loops: workspace crates that depend on each other in a cycle over normal and
build dependencies, read from `cargo metadata` (dev-dependency cycles are allowed)."""
from __future__ import annotations

import re

from .imports import strongly_connected
from .modules import relative
from .problem import Problem


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
