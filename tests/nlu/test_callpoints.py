"""Call points: the SLM is consulted only where tier 1 left words unexplained."""

from __future__ import annotations

from orderline.menu.schema import Menu
from orderline.nlu.callpoints import CallKind, find_call_points
from orderline.nlu.matcher import RuleMatcher
from orderline.order.machine import new_order, transition


def _points(matcher: RuleMatcher, text: str, order=None):  # type: ignore[no-untyped-def]
    order = order or new_order()
    return find_call_points(matcher.menu, matcher.tagger, matcher.understand(text, order), order)


def test_clean_utterances_make_no_call(burger_matcher: RuleMatcher) -> None:
    assert _points(burger_matcher, "a cheeseburger with no onions and extra pickles") == []
    assert _points(burger_matcher, "that's it") == []


def test_unexplained_words_next_to_an_item_make_a_modifier_call(burger_matcher: RuleMatcher) -> None:
    points = _points(burger_matcher, "a cheeseburger but skimp on the mayonnaise, fries too")
    assert len(points) == 1
    point = points[0]
    assert point.kind is CallKind.MODIFIERS
    assert point.item is not None and point.item.id == "cheeseburger"
    assert "skimp" in point.say and "fries" not in point.say


def test_reference_call_when_tier1_is_stuck_and_the_order_has_lines(
    burger: Menu, burger_matcher: RuleMatcher
) -> None:
    order = new_order()
    for command in burger_matcher.understand("a cheeseburger and a large fries", order).commands:
        order, _ = transition(order, command, burger)
    points = _points(burger_matcher, "swap that second thingy to the teeny one", order)
    assert [p.kind for p in points] == [CallKind.REFERENCE]
    assert len(points[0].lines) == 2


def test_an_unknown_thing_asked_for_by_name_is_not_a_reference(
    burger: Menu, burger_matcher: RuleMatcher
) -> None:
    """ "and a flurble" names a thing the menu lacks: no model is asked to guess which line it changes (one
    once answered "+egg" on the cheeseburger)."""
    order = new_order()
    for command in burger_matcher.understand("a cheeseburger with no onions", order).commands:
        order, _ = transition(order, command, burger)
    assert _points(burger_matcher, "and a flurble", order) == []
    assert _points(burger_matcher, "two zorbles please", order) == []
    assert [p.kind for p in _points(burger_matcher, "make that thingy teeny", order)] == [CallKind.REFERENCE]
