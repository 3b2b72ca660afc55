from __future__ import annotations

import pytest

from orderline.bench.exr import canonical, categories, order_to_exr, parse_exr, unordered_equal
from orderline.core.commands import AddItem, Level, ModifierSpec
from orderline.menu.schema import Menu
from orderline.order.machine import new_order, transition


def test_unordered_comparison_ignores_child_order_but_counts_duplicates() -> None:
    a = "(ORDER (PIZZAORDER (NUMBER 1 ) (TOPPING HAM ) (TOPPING ONIONS ) ) )"
    b = "(ORDER (PIZZAORDER (TOPPING ONIONS ) (NUMBER 1 ) (TOPPING HAM ) ) )"
    c = "(ORDER (PIZZAORDER (TOPPING ONIONS ) (NUMBER 1 ) (TOPPING HAM ) (TOPPING HAM ) ) )"
    assert unordered_equal(a, b)
    assert not unordered_equal(a, c)


def test_malformed_trees_never_match() -> None:
    with pytest.raises(ValueError):
        parse_exr("(ORDER (PIZZAORDER ")
    assert not unordered_equal("(ORDER )", "(ORDER")


def test_order_exports_toppings_levels_negations_styles_and_drinks(pizza: Menu) -> None:
    order = new_order()
    pie = AddItem(
        item="pizza",
        size="large",
        modifiers=(
            ModifierSpec(option="combination"),
            ModifierSpec(option="cheese", level=Level.EXTRA),
            ModifierSpec(option="onions", negated=True),
        ),
    )
    drinks = AddItem(item="diet_pepsi", quantity=4, size="large", modifiers=(ModifierSpec(option="can"),))
    for command in (pie, drinks):
        order, _ = transition(order, command, pizza)
    gold = (
        "(ORDER (PIZZAORDER (NOT (TOPPING ONIONS ) ) (NUMBER 1 ) (SIZE LARGE ) (STYLE COMBINATION ) "
        "(COMPLEX_TOPPING (QUANTITY EXTRA ) (TOPPING CHEESE ) ) ) "
        "(DRINKORDER (DRINKTYPE DIET_PEPSI ) (NUMBER 4 ) (SIZE LARGE ) (CONTAINERTYPE CAN ) ) )"
    )
    assert canonical(parse_exr(order_to_exr(order, pizza))) == canonical(parse_exr(gold))


def test_categories_count_suborders_from_the_tree() -> None:
    one = "(ORDER (PIZZAORDER (NUMBER 2 ) (TOPPING HAM ) ) )"
    two = "(ORDER (PIZZAORDER (NUMBER 1 ) ) (DRINKORDER (NUMBER 1 ) (DRINKTYPE COKE ) ) )"
    assert "several suborders" not in categories(one)
    assert set(categories(two)) == {"several suborders", "drinks"}
