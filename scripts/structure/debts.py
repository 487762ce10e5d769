"""The debt list (scripts/structure-debts.txt): reading and rewriting it, comparing the
problems found with it, and reporting the outcome."""
from __future__ import annotations

from pathlib import Path

from .problem import Problem


DEBTS_FILE = "scripts/structure-debts.txt"
DEBTS_HEADER = """\
# Known structural debts of the Rust code, checked by scripts/check-structure.py (run by
# scripts/test-all). One problem a line: `loop <files>`, `long-fn <file> <fn>`,
# `long-file <file>`, `grpc <file>`, `crate-loop <crates>`.
#
# The list is empty since issue 12 paid every debt, and it stays empty: the check fails on
# any problem not listed here, so fix the code instead of adding a line. A line may only be
# added with the reason beside it as a comment, in a commit a reviewer has agreed to.
"""


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
