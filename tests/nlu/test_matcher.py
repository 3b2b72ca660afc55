"""Tier-1 understanding, checked through the order it produces on the real menus."""

from __future__ import annotations

import asyncio

from orderline.core.commands import AddItem, Affirm, Cancel, CannotHandle, Deny, Done, Handoff, Undo
from orderline.core.provenance import Source
from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher
from orderline.order.describe import modifier_code
from orderline.order.machine import new_order
from orderline.order.state import DialogState, Order


def run(menu: Menu, matcher: RuleMatcher, *turns: str, daypart: str | None = "lunch_dinner") -> Order:
    session = TextSession.start(menu, matcher, daypart)
    for text in turns:
        asyncio.run(session.say(text))
    return session.order


def mods(order: Order, n: int = 0) -> set[str]:
    return {modifier_code(m) for m in order.lines[n].modifiers}


def test_modifier_phrases_attach_to_their_item(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a cheeseburger with no onions, light mayo and extra pickles")
    assert order.lines[0].item == "cheeseburger"
    assert mods(order) == {"-onions", "+mayo=light", "+pickles=extra"}


def test_negation_scopes_over_a_list_until_a_positive_word(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    order = run(pizza, pizza_matcher, "a large pizza without onions or peppers but with ham")
    assert mods(order) == {"-onions", "-peppers", "+ham"}


def test_no_extra_cheese_is_a_negated_extra(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    order = run(pizza, pizza_matcher, "a small pizza with mushrooms and no extra cheese")
    assert mods(order) == {"+mushrooms", "-cheese=extra"}


def test_hold_and_skip_are_negations(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a cheeseburger hold the cheese skip the pickles")
    assert mods(order) == {"-cheese", "-pickles"}


def test_sauce_on_the_side(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a bacon cheeseburger with ranch on the side")
    assert "+ranch@side" in mods(order)


def test_several_items_with_quantities_and_sizes(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    order = run(pizza, pizza_matcher, "two medium ham pizzas and three large diet cokes and a sprite")
    got = [(line.item, line.quantity, line.size) for line in order.lines]
    assert got == [("pizza", 2, "medium"), ("diet_coke", 3, "large"), ("sprite", 1, None)]


def test_number_words_and_a_couple(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    order = run(pizza, pizza_matcher, "um a couple of cokes and twelve pepsis")
    assert [(line.item, line.quantity) for line in order.lines] == [("coke", 2), ("pepsi", 12)]


def test_combo_slot_filled_from_the_same_utterance(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a large number one with a sprite and no onions")
    line = order.lines[0]
    assert line.item == "combo_1" and line.size == "large"
    assert {f.slot: f.item for f in line.slots}["drink"] == "sprite"
    assert mods(order) == {"-onions"}


def test_size_answer_goes_to_the_pending_question(burger: Menu, burger_matcher: RuleMatcher) -> None:
    session = TextSession.start(burger, burger_matcher, "lunch_dinner")
    first = asyncio.run(session.say("a number one with a coke"))
    assert session.order.state is DialogState.CLARIFYING
    assert "size" in first.reply.lower()
    asyncio.run(session.say("large"))
    assert session.order.lines[0].size == "large"
    assert session.order.state is DialogState.TAKING_ORDER


def test_make_it_refers_to_the_item_just_added(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    order = run(pizza, pizza_matcher, "i want a pizza and make it large and thin crust")
    assert order.lines[0].size == "large"
    assert "+thin_crust" in mods(order)


def test_ordinal_reference_changes_the_right_line(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a small fries and a small coke", "make the second one a large")
    assert [(line.item, line.size) for line in order.lines] == [("fries", "small"), ("coke", "large")]


def test_correction_of_quantity(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a cheeseburger", "actually make it two")
    assert order.lines[0].quantity == 2


def test_take_the_pickles_off_the_burger_modifies_it(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(
        burger, burger_matcher, "a bacon cheeseburger and a small fries", "take the pickles off the burger"
    )
    assert "-pickles" in mods(order, 0)
    assert len(order.lines) == 2


def test_remove_an_item(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a cheeseburger and a small fries", "remove the fries")
    assert [line.item for line in order.lines] == ["cheeseburger"]


def test_instead_replaces_a_combo_drink(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(burger, burger_matcher, "a medium number one with a coke", "a sprite instead of the coke")
    assert {f.slot: f.item for f in order.lines[0].slots}["drink"] == "sprite"


def test_unavailable_item_never_enters_the_order(burger: Menu, burger_matcher: RuleMatcher) -> None:
    gone = next(i for i in burger.items if not i.available)
    session = TextSession.start(burger, burger_matcher, "lunch_dinner")
    turn = asyncio.run(session.say(f"can i get a {gone.name.lower()}"))
    assert all(line.item != gone.id for line in session.order.lines)
    assert "not available" in turn.reply


def test_dialog_acts(burger_matcher: RuleMatcher) -> None:
    order = new_order()

    def kinds(text: str) -> list[type]:
        return [type(c) for c in burger_matcher.understand(text, order).commands]

    assert kinds("yeah") == [Affirm]
    assert kinds("no thanks") == [Deny]
    assert kinds("that's it") == [Done]
    assert kinds("cancel my order") == [Cancel]
    assert kinds("can i talk to a real person") == [Handoff]
    assert kinds("scratch that") == [Undo]
    assert kinds("purple elephants") == [CannotHandle]


def test_items_plus_done_in_one_breath(burger_matcher: RuleMatcher) -> None:
    kinds = [type(c) for c in burger_matcher.understand("a cheeseburger and that's it", new_order()).commands]
    assert kinds == [AddItem, Done]


def test_fuzzy_match_of_a_misheard_topping_lowers_confidence(pizza_matcher: RuleMatcher) -> None:
    result = pizza_matcher.understand("a large pizza with pepperonni and mushroms", new_order())
    add = result.commands[0]
    assert isinstance(add, AddItem)
    assert {m.option for m in add.modifiers} == {"pepperoni", "mushrooms"}
    assert result.coverage.fuzzy and result.coverage.confidence < 1.0


def test_coverage_reports_words_it_could_not_explain(pizza_matcher: RuleMatcher) -> None:
    result = pizza_matcher.understand("a large pizza with zorblax and ham", new_order())
    assert [s.text for s in result.coverage.unknown] == ["zorblax"]
    assert result.coverage.confidence < 1.0
    assert any("ham" in s.text for s in result.coverage.modifier_spans)


def test_every_command_carries_rule_provenance(pizza_matcher: RuleMatcher) -> None:
    result = pizza_matcher.understand("two large pepperoni pizzas", new_order())
    provenance = result.commands[0].provenance
    assert provenance.source is Source.RULE and provenance.name == "tier1"
    assert provenance.span == "two large pepperoni pizzas"
    assert provenance.latency_ms >= 0.0


def test_a_full_drive_thru_conversation_submits_once(burger: Menu, burger_matcher: RuleMatcher) -> None:
    order = run(
        burger,
        burger_matcher,
        "can i get a large number one with a coke",
        "that's it",
        "no thanks",
        "yes that's right",
    )
    assert order.state is DialogState.SUBMITTED
    assert len(order.lines) == 1
