"""Every scripted conversation in tests/conversations/ ends with the expected order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orderline.core.errors import ScriptError
from orderline.dialog.scripts import Conversation, load_script, run_conversation
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "tests" / "conversations").glob("*.yaml"))
_MATCHERS: dict[str, tuple[Menu, RuleMatcher]] = {}


def _cases() -> list[tuple[str, Conversation]]:
    cases = []
    for path in SCRIPTS:
        script = load_script(path)
        for conversation in script.conversations:
            cases.append((script.menu or path.stem, conversation))
    return cases


def _matcher(name: str) -> tuple[Menu, RuleMatcher]:
    if name not in _MATCHERS:
        menu = load_menu(ROOT / "menus" / f"{name}.yaml")
        _MATCHERS[name] = (menu, RuleMatcher(menu))
    return _MATCHERS[name]


CASES = _cases()


def test_each_bundled_menu_has_at_least_forty_conversations() -> None:
    per_menu: dict[str, int] = {}
    for menu, _ in CASES:
        per_menu[menu] = per_menu.get(menu, 0) + 1
    assert set(per_menu) == {"burger", "coffee", "pizza"}
    assert all(n >= 40 for n in per_menu.values()), per_menu


@pytest.mark.parametrize(("menu_name", "conversation"), CASES, ids=[f"{m}: {c.name}" for m, c in CASES])
def test_conversation_ends_with_the_expected_order(menu_name: str, conversation: Conversation) -> None:
    menu, matcher = _matcher(menu_name)
    result = asyncio.run(run_conversation(conversation, menu, matcher))
    transcript = "\n".join(f"  you> {a}\n  orderline> {b}" for a, b in result.transcript)
    assert result.passed, "\n".join(result.problems) + "\n" + transcript


def test_a_malformed_script_names_the_file_and_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("conversations:\n  - name: x\n    turns: hello\n    expect: {}\n")
    with pytest.raises(ScriptError, match=r"bad\.yaml: conversations\.0\.turns"):
        load_script(bad)
