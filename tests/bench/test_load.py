"""``bench load`` bookkeeping: how levels step up, where the knee is, how orders are matched to sessions."""

from __future__ import annotations

from typing import Any

from orderline.bench.load import (
    Conversation,
    Level,
    Script,
    knee,
    match_orders,
    plan_levels,
    sustained_knee,
    ticket_keys,
)


def test_levels_double_up_to_all_calls_and_lanes_in_proportion() -> None:
    assert plan_levels(10, 2) == [Level(1, 0), Level(2, 0), Level(3, 1), Level(7, 1), Level(10, 2)]
    assert plan_levels(1, 1, [2]) == [Level(1, 1)]
    assert plan_levels(0, 3, [5, 1]) == [Level(0, 1), Level(0, 3)]


def _row(sessions: int, p95: float, measured: int = 10) -> dict[str, Any]:
    return {
        "sessions": sessions,
        "calls": sessions,
        "lanes": 0,
        "turns_measured": measured,
        "first_audio_ms": {"p95": p95},
    }


def test_the_knee_is_the_lowest_load_past_1_2_s_and_the_sustained_one_ignores_a_lone_outlier() -> None:
    rows = [_row(1, 1500), _row(2, 700), _row(4, 1300), _row(8, 2000)]
    assert knee(rows) == {"sessions": 1, "calls": 1, "lanes": 0}
    assert sustained_knee(rows) == {"sessions": 4, "calls": 4, "lanes": 0}
    assert knee([_row(1, 500), _row(2, 900), _row(4, 5000, measured=0)]) is None
    assert sustained_knee([_row(1, 500), _row(2, 1300), _row(4, 1000)]) is None


LINE = {"item": "cheeseburger", "size": None, "quantity": 1, "modifiers": [{"code": "-onions"}], "slots": []}
SCRIPT = Script("burger", ("a cheeseburger with no onions",), ("that's it", "yes"), ticket_keys([LINE]))


def _lane(session: str, state: str = "submitted") -> Conversation:
    return Conversation("lane", "burger", SCRIPT, session_id=session, state=state, outcome="done")


def _order(session: str, channel: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "entry_id": session + channel,
        "session_id": session,
        "channel": channel,
        "ticket": {"lines": lines},
    }


def test_each_confirmed_order_is_expected_once_by_session() -> None:
    conversations = [
        _lane("a"),
        _lane("b"),
        _lane("c"),
        _lane("d", state="readback"),  # never confirmed: not expected
        Conversation("phone", "burger", SCRIPT, outcome="done"),
        Conversation("phone", "burger", SCRIPT, outcome="done"),
        Conversation("phone", "burger", SCRIPT, outcome="shed"),
    ]
    other = {**LINE, "item": "hamburger"}
    orders = [
        _order("a", "lane", [LINE]),
        _order("b", "lane", [other]),  # wrong lines
        _order("b", "lane", [other]) | {"entry_id": "b2"},  # twice
        _order("p1", "phone", [LINE]),
    ]
    got = match_orders(conversations, orders)
    assert got["expected"] == 5  # three lanes that saw submitted, two finished calls
    assert got["found_once"] == 2 and got["correct"] == 2
    assert got["lost"] == 1 and got["duplicated"] == 1
    assert got["phone_without_order"] == 1 and got["lanes_not_confirmed"] == 1
