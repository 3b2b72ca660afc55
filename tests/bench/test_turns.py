from __future__ import annotations

import asyncio

from orderline.bench import turns
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher


def test_generated_utterances_are_reproducible_and_mention_the_menu(burger: Menu) -> None:
    a = turns.generate_utterances(burger, 50, seed=3)
    assert a == turns.generate_utterances(burger, 50, seed=3)
    names = {i.name.lower() for i in burger.items}
    assert any(any(name in text for name in names) for text in a)


def test_every_generated_turn_gets_a_reply_and_a_timing(burger: Menu, burger_matcher: RuleMatcher) -> None:
    utterances = turns.generate_utterances(burger, 120, seed=1)
    timings = asyncio.run(turns.run(burger, burger_matcher, utterances))
    assert len(timings.totals_ms) == 120
    assert set(timings.summary()) == {"total", "nlu", "order", "reply"}
