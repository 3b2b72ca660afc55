"""Words that name nothing on the menu: refused by name with the nearest thing, or asked about; the
answer to that question; option quantities said again."""

from __future__ import annotations

from collections.abc import Callable

from orderline.core.commands import AddItem, Affirm, Deny, ModifierSpec, ModifyLine, Unplaced
from orderline.core.events import Event, LineAdded, ModifierUnplaced, Rejected, RejectReason
from orderline.menu.schema import Menu
from orderline.order.machine import new_order, transition
from orderline.order.replies import plan_reply
from orderline.order.state import Order

Play = Callable[..., tuple[Order, tuple[Event, ...]]]


def test_food_the_menu_lacks_is_refused_with_the_nearest_items(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="cheeseburger"), Unplaced(words="a fish sandwich"))
    assert Rejected(reason=RejectReason.UNKNOWN_ITEM, detail="a fish sandwich") in events
    assert [line.item for line in order.lines] == ["cheeseburger"]
    reply = plan_reply(new_order(), order, events, burger)
    assert "we don't have a fish sandwich" in reply and "Chicken Sandwich" in reply


def test_a_mishearing_is_asked_about_and_yes_adds_the_item(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="cheeseburger"), Unplaced(words="a coat"))
    assert ModifierUnplaced(words="a coat") in events
    reply = plan_reply(new_order(), order, events, burger)
    assert reply.endswith("Sorry, I didn't get 'a coat'. Did you mean a Coke?")
    after, more = transition(order, Affirm(), burger)
    assert [line.item for line in after.lines] == ["cheeseburger", "coke"]
    assert any(isinstance(e, LineAdded) for e in more)
    assert after.asked == ()


def test_no_to_did_you_mean_leaves_it_off_and_keeps_ordering(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="cheeseburger"), Unplaced(words="a coat"))
    after, events = transition(order, Deny(), burger)
    assert [line.item for line in after.lines] == ["cheeseburger"]
    assert after.state.value == "taking_order" and events == ()
    assert after.asked == ()


def test_words_of_no_kind_with_no_likeness_are_asked_about(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="cheeseburger"), Unplaced(words="a blorp"))
    assert plan_reply(new_order(), order, events, burger).endswith("What was that?")


def test_the_next_command_answers_or_passes_over_the_question(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger"), Unplaced(words="a coat"))
    assert order.asked
    after, _ = transition(order, AddItem(item="fries", size="small"), burger)
    assert after.asked == ()


def test_an_extra_shot_said_again_is_a_second_shot(coffee: Menu, play: Play) -> None:
    shot = ModifierSpec(option="extra_shot")
    order, _ = play(coffee, AddItem(item="latte", size="medium", modifiers=(shot,)))
    order, _ = transition(order, ModifyLine(line=1, modifiers=(shot,)), coffee)
    assert [(m.option, m.count) for m in order.lines[0].modifiers] == [("extra_shot", 2)]


def test_more_shots_than_the_cap_are_refused_at_the_cap(coffee: Menu, play: Play) -> None:
    shot = ModifierSpec(option="extra_shot")
    order, _ = play(
        coffee, AddItem(item="latte", size="medium", modifiers=(shot.model_copy(update={"count": 4}),))
    )
    order, events = transition(order, ModifyLine(line=1, modifiers=(shot,)), coffee)
    assert order.lines[0].modifiers[0].count == 4
    assert any(isinstance(e, Rejected) and e.reason is RejectReason.TOO_MANY_CHOICES for e in events)
