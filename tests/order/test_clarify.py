"""order/clarify.py: the first required choice still missing, in line order: size, slots, groups."""

from __future__ import annotations

from orderline.core.events import ClarificationNeeded
from orderline.menu.schema import Menu
from orderline.order.clarify import first_missing
from orderline.order.state import ModifierChoice, Order, OrderLine, SlotFill


def _order(*lines: OrderLine) -> Order:
    return Order(lines=lines, next_line_id=len(lines) + 1)


def test_a_complete_order_has_nothing_missing(burger: Menu) -> None:
    assert first_missing(_order(OrderLine(id=1, item="fries", size="small")), burger) is None
    assert first_missing(Order(), burger) is None


def test_a_missing_size_comes_first(burger: Menu) -> None:
    meal = OrderLine(id=1, item="combo_1", slots=(SlotFill(slot="side"), SlotFill(slot="drink")))
    assert first_missing(_order(meal), burger) == ClarificationNeeded(
        line=1, choice="size", target="combo_1", options=("small", "medium", "large")
    )


def test_then_the_first_open_slot(burger: Menu) -> None:
    meal = OrderLine(
        id=1,
        item="combo_1",
        size="small",
        slots=(SlotFill(slot="side", item="fries"), SlotFill(slot="drink")),
    )
    missing = first_missing(_order(meal), burger)
    assert missing is not None
    assert (missing.choice, missing.target) == ("slot", "drink")
    assert len(missing.options) == 12


def test_the_earliest_line_is_asked_about_first(burger: Menu) -> None:
    order = _order(
        OrderLine(id=1, item="hamburger"), OrderLine(id=2, item="coke"), OrderLine(id=3, item="fries")
    )
    missing = first_missing(order, burger)
    assert missing is not None
    assert (missing.line, missing.target) == (2, "coke")


def test_an_item_whose_size_is_optional_is_not_asked_about(pizza: Menu) -> None:
    assert first_missing(_order(OrderLine(id=1, item="coke")), pizza) is None
    missing = first_missing(_order(OrderLine(id=1, item="pizza")), pizza)
    assert missing is not None
    assert missing.choice == "size"
    assert len(missing.options) == 8


def test_a_required_group_is_asked_about_until_chosen(coffee: Menu) -> None:
    sandwich = OrderLine(id=1, item="sausage_egg_cheese_sandwich")
    missing = first_missing(_order(sandwich), coffee)
    assert missing is not None
    assert (missing.choice, missing.target) == ("group", "bread")
    chosen = sandwich.model_copy(
        update={"modifiers": (ModifierChoice(group="bread", option="english_muffin"),)}
    )
    assert first_missing(_order(chosen), coffee) is None


def test_saying_no_to_an_option_does_not_count_as_choosing_it(coffee: Menu) -> None:
    sandwich = OrderLine(
        id=1,
        item="sausage_egg_cheese_sandwich",
        modifiers=(ModifierChoice(group="bread", option="biscuit", negated=True),),
    )
    assert first_missing(_order(sandwich), coffee) is not None


def test_options_offered_leave_out_what_is_86d(burger_86: Menu) -> None:
    meal = OrderLine(
        id=1,
        item="combo_1",
        size="small",
        slots=(SlotFill(slot="side", item="fries"), SlotFill(slot="drink")),
    )
    missing = first_missing(_order(meal), burger_86)
    assert missing is not None
    assert "coke" not in missing.options
    assert "sprite" in missing.options
