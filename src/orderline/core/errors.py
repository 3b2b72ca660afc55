"""Exceptions raised for programmer or operator errors (never for customer input)."""

from __future__ import annotations


class OrderlineError(Exception):
    """Base class for all Orderline errors."""


class MenuError(OrderlineError):
    """A menu file is missing, malformed or inconsistent.

    The message names the file, the path inside the document and the problem, e.g.
    ``menus/burger.yaml: items[3].sizes.large: price must be >= 0``.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        joined = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid menu {source}:\n{joined}")


class ScriptError(OrderlineError):
    """A scripted conversation file cannot be read."""
