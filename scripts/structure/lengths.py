"""Functions over MAX_FN_LINES lines and files over MAX_FILE_LINES lines."""
from __future__ import annotations

from .filescan import FileScan
from .problem import Problem


MAX_FN_LINES = 80
MAX_FILE_LINES = 600


def long_fn_problems(file: str, scan: FileScan) -> list[Problem]:
    """Reports the functions of a non-test file over MAX_FN_LINES lines."""
    by_key: dict[str, Problem] = {}
    for span in scan.fns:
        if span.lines > MAX_FN_LINES:
            key = f"long-fn {file} {span.name}"
            problem = by_key.setdefault(key, Problem(key, []))
            problem.details.append(
                f"{file}:{span.start}: fn {span.name} is {span.lines} lines"
                f" (at most {MAX_FN_LINES} outside tests)")
    return list(by_key.values())


def long_file_problems(file: str, scan: FileScan) -> list[Problem]:
    """Reports a non-test file over MAX_FILE_LINES lines."""
    if scan.counted_lines <= MAX_FILE_LINES:
        return []
    trailing = scan.total_lines - scan.counted_lines
    note = f", not counting {trailing} lines of tests at its end" if trailing else ""
    return [Problem(f"long-file {file}", [
        f"{file}:1: {scan.counted_lines} lines{note} (at most {MAX_FILE_LINES})"])]
