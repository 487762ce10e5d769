"""Every check over the workspace: each package's module trees, the per-crate checks
(loops, long functions and files, generated gRPC code) and the crate loops."""
from __future__ import annotations

import os
import sys

from .crates import crate_loop_problems
from .filescan import FileScan
from .grpc import (CLUSTER_PACKAGE, GrpcRule, cluster_crate_names, grpc_problems,
                   load_grpc_rule)
from .imports import loop_problems
from .lengths import long_file_problems, long_fn_problems
from .modules import build_module_tree, crate_files, package_roots, unreached_files
from .problem import Problem
from .scanner import scan_source


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


def workspace_problems(metadata: dict) -> list[Problem]:
    """Runs every check over the workspace."""
    cache, rule = SourceCache(), load_grpc_rule()
    problems = crate_loop_problems(metadata)
    for package in sorted(metadata["packages"], key=lambda package: package["name"]):
        problems += package_problems(package, cache, rule)
    return sorted(problems, key=lambda problem: problem.key)
