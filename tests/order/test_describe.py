"""order/describe.py: the words for order lines and the compact modifier codes."""

from __future__ import annotations

import pytest

from orderline.core.commands import Level
from orderline.menu.schema import Menu
from orderline.order.describe import (
    count_words,
    describe_line,
    describe_modifier,
    describe_slot,
    join_words,
    modifier_code,
)
from orderline.order.state import ModifierChoice, OrderLine, SlotFill


def _choice(option: str, group: str = "g", **kw: object) -> ModifierChoice:
    return ModifierChoice(group=group, option=option, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("choice", "code"),
    [
        (_choice("onions", negated=True), "-onions"),
        (_choice("bacon"), "+bacon"),
        (_choice("mayo", level=Level.LIGHT), "+mayo=light"),
        (_choice("ranch", on_side=True), "+ranch@side"),
        (_choice("cheese", negated=True, level=Level.EXTRA), "-cheese=extra"),
        (_choice("bacon", level=Level.EXTRA, on_side=True), "+bacon=extra@side"),
    ],
)
def test_modifier_codes_are_compact_and_unambiguous(choice: ModifierChoice, code: str) -> None:
    assert modifier_code(choice) == code


@pytest.mark.parametrize(
    ("n", "words"), [(0, "zero"), (1, "one"), (2, "two"), (10, "ten"), (11, "11"), (20, "20")]
)
def test_small_counts_are_spoken_in_words(n: int, words: str) -> None:
    assert count_words(n) == words


@pytest.mark.parametrize(
    ("parts", "text"),
    [([], ""), (["fries"], "fries"), (["fries", "coke"], "fries and coke"), (["a", "b", "c"], "a, b and c")],
)
def test_join_words_lists_like_a_person_would(parts: list[str], text: str) -> None:
    assert join_words(parts) == text


def test_join_words_can_offer_alternatives() -> None:
    assert join_words(["small", "medium", "large"], "or") == "small, medium or large"


def test_a_single_item_is_described_with_an_article(burger: Menu) -> None:
    assert describe_line(OrderLine(id=1, item="hamburger"), burger) == "a Hamburger"


def test_a_quantity_and_size_are_described_in_words(burger: Menu) -> None:
    assert describe_line(OrderLine(id=1, item="fries", quantity=2, size="large"), burger) == "two large Fries"
    assert describe_line(OrderLine(id=1, item="fries", quantity=12, size="small"), burger) == "12 small Fries"


def test_a_line_can_be_described_without_its_quantity(burger: Menu) -> None:
    line = OrderLine(id=1, item="fries", quantity=2, size="large")
    assert describe_line(line, burger, with_quantity=False) == "large Fries"


def test_modifiers_are_described_with_their_menu_names(burger: Menu) -> None:
    line = OrderLine(
        id=1,
        item="cheeseburger",
        modifiers=(
            _choice("onions", "burger_toppings", negated=True),
            _choice("cheese", "cheese", level=Level.EXTRA),
            _choice("bacon", "burger_addons"),
            _choice("mayo", "burger_toppings", level=Level.LIGHT),
        ),
    )
    assert (
        describe_line(line, burger)
        == "a Cheeseburger with no onions, extra American cheese, bacon and light mayo"
    )


def test_no_extra_and_on_the_side_are_described(burger: Menu) -> None:
    item = burger.item_index["cheeseburger"]
    assert describe_modifier(_choice("cheese", "cheese", negated=True, level=Level.EXTRA), item, burger) == (
        "no extra American cheese"
    )
    assert describe_modifier(_choice("ranch", "sauces", on_side=True), item, burger) == "ranch on the side"


def test_an_included_option_asked_for_on_the_side_is_called_regular(burger: Menu) -> None:
    item = burger.item_index["barn_burger"]
    choice = _choice("barn_sauce", "barn_sauces", on_side=True)
    assert describe_modifier(choice, item, burger) == "regular barn sauce on the side"


def test_an_option_not_on_the_menu_is_described_from_its_id(burger: Menu) -> None:
    item = burger.item_index["hamburger"]
    assert describe_modifier(_choice("truffle_oil"), item, burger) == "truffle oil"


def test_a_meal_is_described_with_its_filled_slots(burger: Menu) -> None:
    line = OrderLine(
        id=1,
        item="combo_1",
        size="large",
        slots=(
            SlotFill(slot="side", item="fries", size="large"),
            SlotFill(slot="drink", item="coke", size="large"),
        ),
    )
    assert describe_line(line, burger) == "a large Number 1 Cheeseburger Meal with large Fries and large Coke"


def test_a_meal_with_modifiers_and_slots_separates_them_with_commas(burger: Menu) -> None:
    line = OrderLine(
        id=1,
        item="combo_1",
        size="medium",
        modifiers=(_choice("onions", "burger_toppings", negated=True),),
        slots=(
            SlotFill(slot="side", item="onion_rings", size="medium"),
            SlotFill(
                slot="drink",
                item="coke",
                size="medium",
                modifiers=(_choice("ice", "drink_options", negated=True),),
            ),
        ),
    )
    assert describe_line(line, burger) == (
        "a medium Number 1 Cheeseburger Meal, with no onions, with medium Onion Rings and medium Coke with no ice"
    )


def test_an_open_slot_is_left_out_of_the_line_and_described_as_to_be_chosen(burger: Menu) -> None:
    line = OrderLine(
        id=1,
        item="combo_1",
        size="small",
        slots=(SlotFill(slot="side", item="fries", size="small"), SlotFill(slot="drink")),
    )
    assert describe_line(line, burger) == "a small Number 1 Cheeseburger Meal with small Fries"
    assert describe_slot(SlotFill(slot="drink"), burger) == "drink to be chosen"


def test_an_item_no_longer_on_the_menu_is_described_by_its_id(burger: Menu) -> None:
    assert describe_line(OrderLine(id=1, item="mystery_meat"), burger) == "a mystery_meat"


def test_pizza_sizes_are_spoken_by_name(pizza: Menu) -> None:
    assert describe_line(OrderLine(id=1, item="pizza", size="party_size"), pizza) == "a party size pizza"


def test_a_size_before_a_vowel_item_keeps_a(coffee: Menu) -> None:
    assert describe_line(OrderLine(id=1, item="americano", size="large"), coffee) == "a large Americano"


@pytest.mark.parametrize(
    ("menu_name", "line", "text"),
    [
        ("pizza", OrderLine(id=1, item="pizza", size="extra_large"), "an extra large pizza"),
        ("burger", OrderLine(id=1, item="apple_pie"), "an Apple Pie"),
        ("coffee", OrderLine(id=1, item="iced_latte"), "an Iced Latte"),
        ("coffee", OrderLine(id=1, item="espresso"), "an Espresso"),
    ],
    ids=["extra_large", "apple_pie", "iced_latte", "espresso"],
)
def test_a_single_item_starting_with_a_vowel_sound_takes_an(
    menu_name: str, line: OrderLine, text: str, request: pytest.FixtureRequest
) -> None:
    assert describe_line(line, request.getfixturevalue(menu_name)) == text
