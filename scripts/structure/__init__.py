"""The structure check of the Rust code, run by scripts/check-structure.py; what it
reports and why is that script's docstring.

Modules, each depending only on the ones above it:

  lexer      Rust source to tokens, without comments, whitespace or literal insides
  syntax     matching brackets, attributes, use trees, impl headers
  filescan   what scanning a file yields (paths named, functions, mod declarations)
  scanner    one pass over a file's tokens into a FileScan, skipping test code
  modules    module trees of a crate's targets; test files; relative paths
  problem    a problem: the debt list's key and the details
  imports    paths resolved to files, import edges, strongly connected components
  lengths    functions over 80 lines, files over 600
  grpc       generated gRPC code named outside crates/cluster
  crates     workspace crates in a dependency cycle (cargo metadata)
  workspace  every check over every package of the workspace
  debts      the debt list scripts/structure-debts.txt and the report against it
"""
from .crates import crate_loop_problems
from .debts import DEBTS_FILE, compare, read_debts, report, summary, write_debts
from .grpc import GrpcRule, grpc_problems, grpc_rule_from_sources
from .imports import import_edges, loop_problems, strongly_connected
from .lengths import long_file_problems, long_fn_problems
from .modules import build_module_tree
from .problem import Problem
from .scanner import scan_source
from .workspace import workspace_problems

__all__ = [
    "DEBTS_FILE", "GrpcRule", "Problem", "build_module_tree", "compare",
    "crate_loop_problems", "grpc_problems", "grpc_rule_from_sources", "import_edges",
    "long_file_problems", "long_fn_problems", "loop_problems", "read_debts", "report",
    "scan_source", "strongly_connected", "summary", "workspace_problems", "write_debts",
]
