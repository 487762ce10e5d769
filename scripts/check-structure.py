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

The code is the package scripts/structure/, one module per responsibility (lexer, module
trees, import loops, lengths, gRPC rule, crate loops, debt list); its __init__.py lists them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from structure import (  # noqa: E402  (needs scripts/ on the path, set just above)
    DEBTS_FILE, read_debts, report, summary, workspace_problems, write_debts)


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
