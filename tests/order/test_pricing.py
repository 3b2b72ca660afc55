"""order/pricing.py: what a line costs, tax rounded half-up, and money as the customer hears it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orderline.core.commands import AddItem, Level, ModifierSpec, SlotSpec
from orderline.core.events import Event
from orderline.menu.loader import parse_menu
from orderline.menu.schema import Menu
from orderline.order.pricing import line_total, modifier_price, money, totals, unit_price
from orderline.order.state import ModifierChoice, Order, OrderLine

Play = Callable[..., tuple[Order, tuple[Event, ...]]]


def _mod(option: str, *, no: bool = False, level: Level = Level.REGULAR) -> ModifierSpec:
    return ModifierSpec(option=option, negated=no, level=level)


def _unit(menu: Menu, play: Play, command: AddItem) -> int:
    order, _ = play(menu, command)
    return unit_price(order.lines[0], menu)


def _taxed_menu(rate: float, price: str) -> Menu:
    return parse_menu(
        {
            "id": "m",
            "name": "M",
            "tax_rate": rate,
            "items": [{"id": "a", "name": "A", "category": "x", "price": price}],
        }
    )


# ---------------------------------------------------------------- items and sizes


def test_a_plain_item_costs_its_menu_price(burger: Menu, play: Play) -> None:
    assert _unit(burger, play, AddItem(item="hamburger")) == 349


def test_a_sized_item_costs_the_price_of_its_size(burger: Menu, play: Play) -> None:
    assert _unit(burger, play, AddItem(item="fries", size="medium")) == 259


def test_quantity_multiplies_the_line(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger", quantity=3))
    assert line_total(order.lines[0], burger) == 3 * 349


# ---------------------------------------------------------------- modifiers


def test_a_paid_add_on_adds_its_price(burger: Menu, play: Play) -> None:
    assert _unit(burger, play, AddItem(item="hamburger", modifiers=(_mod("bacon"),))) == 349 + 150


def test_extra_of_a_paid_add_on_is_a_double_portion(burger: Menu, play: Play) -> None:
    assert (
        _unit(burger, play, AddItem(item="hamburger", modifiers=(_mod("bacon", level=Level.EXTRA),)))
        == 349 + 300
    )


def test_light_of_a_paid_add_on_costs_the_same_as_regular(burger: Menu, play: Play) -> None:
    assert (
        _unit(burger, play, AddItem(item="hamburger", modifiers=(_mod("bacon", level=Level.LIGHT),)))
        == 349 + 150
    )


def test_extra_of_an_included_option_costs_its_extra_price(burger: Menu, play: Play) -> None:
    extra_cheese = AddItem(item="cheeseburger", modifiers=(_mod("cheese", level=Level.EXTRA),))
    assert _unit(burger, play, extra_cheese) == 399 + 60


def test_extra_of_an_included_option_without_an_extra_price_is_free(burger: Menu, play: Play) -> None:
    assert (
        _unit(burger, play, AddItem(item="hamburger", modifiers=(_mod("pickles", level=Level.EXTRA),))) == 349
    )


def test_extra_of_included_bacon_on_a_bacon_burger_costs_the_extra_price(burger: Menu, play: Play) -> None:
    extra_bacon = AddItem(item="bacon_cheeseburger", modifiers=(_mod("bacon", level=Level.EXTRA),))
    assert _unit(burger, play, extra_bacon) == 529 + 150


def test_removing_something_never_discounts(burger: Menu, play: Play) -> None:
    removals = tuple(_mod(o, no=True) for o in ("onions", "pickles", "cheese", "ketchup"))
    assert _unit(burger, play, AddItem(item="cheeseburger", modifiers=removals)) == 399
    no_extra = AddItem(item="cheeseburger", modifiers=(_mod("cheese", no=True, level=Level.EXTRA),))
    assert _unit(burger, play, no_extra) == 399


def test_saying_no_to_an_add_on_costs_nothing(burger: Menu, play: Play) -> None:
    assert _unit(burger, play, AddItem(item="hamburger", modifiers=(_mod("avocado", no=True),))) == 349


def test_a_paid_cheese_swap_on_a_hamburger_costs_and_a_free_one_on_a_cheeseburger_does_not(
    burger: Menu, play: Play
) -> None:
    assert _unit(burger, play, AddItem(item="hamburger", modifiers=(_mod("swiss"),))) == 349 + 60
    assert _unit(burger, play, AddItem(item="cheeseburger", modifiers=(_mod("swiss"),))) == 399


def test_a_modifier_the_item_does_not_have_is_priced_at_nothing(burger: Menu) -> None:
    stray = ModifierChoice(group="shake_options", option="malt")
    assert modifier_price(stray, burger.item_index["hamburger"], burger) == 0


def test_coffee_milk_alternatives_cost_extra(coffee: Menu, play: Play) -> None:
    oat = AddItem(item="latte", size="medium", modifiers=(_mod("oat_milk"), _mod("vanilla")))
    assert _unit(coffee, play, oat) == 475 + 70 + 80


# ---------------------------------------------------------------- combos


def test_a_meal_costs_its_size_price(burger: Menu, play: Play) -> None:
    meal = AddItem(item="combo_1", size="large", slots=(SlotSpec(slot="drink", item="coke"),))
    assert _unit(burger, play, meal) == 899


def test_a_meal_adds_the_upcharges_of_its_side_and_drink(burger: Menu, play: Play) -> None:
    meal = AddItem(
        item="combo_1",
        size="large",
        slots=(SlotSpec(slot="side", item="onion_rings"), SlotSpec(slot="drink", item="chocolate_shake")),
    )
    assert _unit(burger, play, meal) == 899 + 79 + 150


def test_a_paid_modifier_on_a_meal_drink_is_charged(burger: Menu, play: Play) -> None:
    drink = SlotSpec(slot="drink", item="vanilla_shake", modifiers=(_mod("malt"),))
    assert _unit(burger, play, AddItem(item="combo_1", size="small", slots=(drink,))) == 749 + 150 + 50


def test_a_paid_modifier_on_the_meal_main_item_is_charged(burger: Menu, play: Play) -> None:
    meal = AddItem(
        item="combo_1", size="small", modifiers=(_mod("bacon"),), slots=(SlotSpec(slot="drink", item="coke"),)
    )
    assert _unit(burger, play, meal) == 749 + 150


def test_a_meal_with_an_open_slot_is_priced_without_upcharges(burger: Menu, play: Play) -> None:
    assert _unit(burger, play, AddItem(item="combo_1", size="medium")) == 829


def test_a_line_for_an_item_no_longer_on_the_menu_costs_nothing(burger: Menu) -> None:
    assert unit_price(OrderLine(id=1, item="discontinued"), burger) == 0


# ---------------------------------------------------------------- totals and tax


def test_totals_add_the_lines_and_the_tax(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger", quantity=2), AddItem(item="fries", size="large"))
    t = totals(order, burger)
    assert t.subtotal_cents == 2 * 349 + 299
    assert t.tax_cents == 82  # 997 * 8.25% = 82.2525
    assert t.total_cents == 997 + 82


def test_an_empty_order_costs_nothing(burger: Menu) -> None:
    t = totals(Order(), burger)
    assert (t.subtotal_cents, t.tax_cents, t.total_cents) == (0, 0, 0)


@pytest.mark.parametrize(
    ("rate", "price", "tax"),
    [
        (0.05, "0.10", 1),  # 0.5 cent rounds up (banker's rounding would give 0)
        (0.05, "0.50", 3),  # 2.5 cents rounds up (banker's rounding would give 2)
        (0.05, "0.30", 2),  # 1.5 cents
        (0.05, "0.29", 1),  # 1.45 cents rounds down
        (0.0825, "2.00", 17),  # 16.5 cents
        (0.0, "9.99", 0),
    ],
)
def test_tax_rounds_half_a_cent_up(play: Play, rate: float, price: str, tax: int) -> None:
    menu = _taxed_menu(rate, price)
    order, _ = play(menu, AddItem(item="a"))
    t = totals(order, menu)
    assert t.tax_cents == tax
    assert t.total_cents == t.subtotal_cents + tax


def test_tax_is_computed_on_the_subtotal_not_per_line(play: Play) -> None:
    menu = _taxed_menu(0.05, "0.10")
    order, _ = play(menu, AddItem(item="a"), AddItem(item="a"), AddItem(item="a"))
    assert totals(order, menu).tax_cents == 2  # 1.5 cents on 30 cents, not 3 x 1 cent


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (378, "USD", "$3.78"),
        (5, "USD", "$0.05"),
        (0, "USD", "$0.00"),
        (1000, "USD", "$10.00"),
        (123456, "USD", "$1234.56"),
        (1234, "EUR", "€12.34"),
        (99, "GBP", "£0.99"),
        (1234, "CAD", "12.34 CAD"),
    ],
)
def test_money_is_written_with_the_currency_symbol_and_two_decimals(
    cents: int, currency: str, text: str
) -> None:
    assert money(cents, currency) == text


def test_money_defaults_to_dollars() -> None:
    assert money(1999) == "$19.99"
