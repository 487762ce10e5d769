"""A structural problem: the stable key that the debt list holds, and the details."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """One structural problem."""

    key: str
    details: list[str]

    @property
    def kind(self) -> str:
        """Returns the first word of the key (`loop`, `long-fn`, ...)."""
        return self.key.split()[0]
