"""Every content word is acted on, refused by name or asked about: tier 1's accounting."""

from __future__ import annotations

import asyncio

from orderline.core.commands import CannotHandle, ModifyLine, Unplaced
from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher
from orderline.order.describe import modifier_code
from orderline.order.machine import new_order


def _session(menu: Menu, matcher: RuleMatcher, *turns: str) -> TextSession:
    session = TextSession.start(menu, matcher, "lunch_dinner")
    for text in turns:
        asyncio.run(session.say(text))
    return session


def test_an_off_menu_name_takes_its_option_words_with_it(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    got = pizza_matcher.understand("a large pizza with pepperoni and a side of garlic knots", new_order())
    assert [c.words for c in got.commands if isinstance(c, Unplaced)] == ["garlic knots"]
    assert [s.text for s in got.coverage.off_menu] == ["garlic knots"]
    session = _session(pizza, pizza_matcher, "a large pizza with pepperoni and a side of garlic knots")
    assert {modifier_code(m) for m in session.order.lines[0].modifiers} == {"+pepperoni"}


def test_only_off_menu_words_are_no_failed_turn(coffee: Menu, coffee_matcher: RuleMatcher) -> None:
    got = coffee_matcher.understand("do you have smoothies", new_order())
    assert not any(isinstance(c, CannotHandle) for c in got.commands)
    assert [c.words for c in got.commands if isinstance(c, Unplaced)] == ["smoothies"]


def test_an_unknown_word_in_the_place_of_an_item_is_asked_about(
    burger: Menu, burger_matcher: RuleMatcher
) -> None:
    session = _session(burger, burger_matcher, "a cheeseburger and a coat")
    reply = session.history[-1].reply
    assert [line.item for line in session.order.lines] == ["cheeseburger"]
    assert "Cheeseburger" in reply and "'a coat'" in reply


def test_nonsense_alone_is_still_not_understood(burger: Menu, burger_matcher: RuleMatcher) -> None:
    got = burger_matcher.understand("purple monkey dishwasher", new_order())
    assert [type(c) for c in got.commands] == [CannotHandle]


def test_stray_option_words_that_name_a_food_are_one_request(
    coffee: Menu, coffee_matcher: RuleMatcher
) -> None:
    got = coffee_matcher.understand("an avocado toast and a medium latte", new_order())
    unplaced = [c for c in got.commands if isinstance(c, Unplaced)]
    assert [(c.words, c.options) for c in unplaced] == [("an avocado toast", ())]


def test_the_answer_to_which_one_puts_the_words_on_that_line(
    burger: Menu, burger_matcher: RuleMatcher
) -> None:
    session = _session(burger, burger_matcher, "a cheeseburger and a hamburger", "one with no pickles")
    assert "Which one gets no pickles" in session.history[-1].reply
    got = burger_matcher.understand("the hamburger", session.order)
    assert [type(c) for c in got.commands] == [ModifyLine]
    asyncio.run(session.say("the hamburger"))
    assert [[modifier_code(m) for m in line.modifiers] for line in session.order.lines] == [[], ["-pickles"]]


def test_yes_to_a_question_about_one_line_puts_the_words_there(
    burger: Menu, burger_matcher: RuleMatcher
) -> None:
    session = _session(burger, burger_matcher, "a cheeseburger and fries", "small", "two with no pickles")
    assert "Should the Cheeseburger have no pickles?" in session.history[-1].reply
    asyncio.run(session.say("yes"))
    assert [modifier_code(m) for m in session.order.lines[0].modifiers] == ["-pickles"]


def test_an_option_is_swapped_for_another(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    for said in (
        "actually take off the ham and put bacon instead",
        "bacon instead of ham",
        "swap the ham for bacon",
        "change the ham to bacon",
        "no ham, bacon instead",
    ):
        session = _session(pizza, pizza_matcher, "a medium pizza with ham and olives", said)
        assert {modifier_code(m) for m in session.order.lines[0].modifiers} == {"+bacon", "+olives"}, said


def test_a_meal_split_on_its_drink(burger: Menu, burger_matcher: RuleMatcher) -> None:
    session = _session(
        burger, burger_matcher, "two number ones, both medium, one with a coke and one with a sprite"
    )
    got = [
        (ln.item, ln.quantity, ln.size, {f.slot: f.item for f in ln.slots}["drink"])
        for ln in session.order.lines
    ]
    assert got == [("combo_1", 1, "medium", "coke"), ("combo_1", 1, "medium", "sprite")]
