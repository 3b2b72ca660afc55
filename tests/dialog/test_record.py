"""The conversation record round-trips through JSON, keeps a bounded log and refuses newer schemas."""

from __future__ import annotations

import asyncio
import json

import pytest

from orderline.dialog.record import ConversationRecord, StageTimings, TurnRecord, utc_now
from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher


def _record_after(menu: Menu, matcher: RuleMatcher, texts: list[str], keep: int = 50) -> ConversationRecord:
    session = TextSession.start(menu, matcher)
    record = ConversationRecord(
        session_id="s" * 32, store="burger", menu_id=menu.id, menu_fingerprint="0" * 16, order=session.order
    )
    for n, text in enumerate(texts, 1):
        turn = asyncio.run(session.say(text))
        entry = TurnRecord(
            n=n,
            at=utc_now(),
            text=text,
            reply=turn.reply,
            state=turn.order.state,
            commands=turn.understanding.commands,
            events=turn.events,
            timings=StageTimings.of(turn, 1.0),
        )
        record = record.with_turn(entry, turn.order, keep)
    return record


def test_a_record_round_trips_through_json(burger: Menu, burger_matcher: RuleMatcher) -> None:
    record = _record_after(burger, burger_matcher, ["two cheeseburgers with no onions", "and a large fries"])
    again = ConversationRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again == record
    assert again.order.lines[0].modifiers[0].option == "onions"
    assert again.turns[0].provenance[0].name == "tier1"
    assert again.turns[0].timings.total_ms == 1.0


def test_the_turn_log_is_bounded(burger: Menu, burger_matcher: RuleMatcher) -> None:
    record = _record_after(burger, burger_matcher, ["a coke", "a sprite", "a fries", "a shake"], keep=2)
    assert record.turn_count == 4
    assert [t.n for t in record.turns] == [3, 4]


def test_a_newer_schema_is_refused(burger: Menu, burger_matcher: RuleMatcher) -> None:
    data = _record_after(burger, burger_matcher, ["a coke"]).to_dict()
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="newer"):
        ConversationRecord.from_dict(data)
