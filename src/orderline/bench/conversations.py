"""Conversation benchmark: run scripted conversations per menu and count passes per menu and per tag.

A PIZZA figure measures one utterance; this measures whole conversations (questions answered, lines
changed, readbacks confirmed), scored on the final order each script expects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orderline.dialog.scripts import ConversationResult, ScriptFile, run_conversation
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander


@dataclass(slots=True)
class Tally:
    """Passed and total conversations for one menu or one tag."""

    passed: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def add(self, passed: bool) -> None:
        self.passed += int(passed)
        self.total += 1

    def to_json(self) -> dict[str, object]:
        return {"passed": self.passed, "total": self.total, "pass_rate": round(self.rate, 4)}


@dataclass(slots=True)
class ConversationBench:
    """Results of one run: totals per menu and per tag, and the names of the failures."""

    by_menu: dict[str, Tally] = field(default_factory=dict)
    by_tag: dict[str, Tally] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def overall(self) -> Tally:
        return Tally(
            passed=sum(t.passed for t in self.by_menu.values()),
            total=sum(t.total for t in self.by_menu.values()),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "overall": self.overall.to_json(),
            "by_menu": {k: v.to_json() for k, v in self.by_menu.items()},
            "by_tag": {k: v.to_json() for k, v in sorted(self.by_tag.items())},
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
        }


async def run(
    scripts: list[tuple[str, ScriptFile, Menu, Understander]],
    on_result: Callable[[str, ConversationResult], None] | None = None,
) -> ConversationBench:
    """Run every conversation of every script.

    Args:
        scripts: (menu name, script, menu, understander for that menu) per script file.
        on_result: called after each conversation (for a progress bar or verbose output).

    Returns:
        Pass counts per menu and per tag, with the failed conversation names per menu.
    """
    bench = ConversationBench()
    started = time.perf_counter()
    for name, script, menu, understander in scripts:
        menu_tally = bench.by_menu.setdefault(name, Tally())
        for conversation in script.conversations:
            result = await run_conversation(conversation, menu, understander)
            menu_tally.add(result.passed)
            for tag in conversation.tags or ["untagged"]:
                bench.by_tag.setdefault(tag, Tally()).add(result.passed)
            if not result.passed:
                bench.failures.setdefault(name, []).append(conversation.name)
            if on_result is not None:
                on_result(name, result)
    bench.seconds = time.perf_counter() - started
    return bench


def default_scripts(root: Path) -> list[Path]:
    """The independent conversation set under ``root`` (tests/conversations/independent/*.yaml)."""
    return sorted((root / "tests" / "conversations" / "independent").glob("*.yaml"))
