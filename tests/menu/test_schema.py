"""menu/schema.py: item prices by size, groups of combos, option lookup, and 86ing with with_availability."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orderline.menu.schema import Item, Menu, ModifierOption


def test_an_item_priced_by_size_costs_the_price_of_the_asked_size(burger: Menu) -> None:
    fries = burger.item_index["fries"]
    assert fries.price_for("small") == 199
    assert fries.price_for("large") == 299


def test_an_item_without_a_known_size_costs_its_default_size_else_its_cheapest() -> None:
    with_default = Item(
        id="a", name="A", category="x", sizes={"small": "1.00", "large": "2.00"}, default_size="large"
    )
    without = Item(id="b", name="B", category="x", sizes={"small": "1.00", "large": "2.00"})
    assert with_default.price_for(None) == 200
    assert with_default.price_for("huge") == 200
    assert without.price_for(None) == 100


def test_an_item_without_sizes_costs_its_price_whatever_size_is_asked(burger: Menu) -> None:
    assert burger.item_index["hamburger"].price_for("large") == 349


def test_a_combo_uses_the_modifier_groups_of_its_main_item(burger: Menu) -> None:
    combo = burger.item_index["combo_1"]
    assert burger.groups_for(combo) == burger.groups_for(burger.item_index["cheeseburger"])
    found = burger.find_option(combo, "onions")
    assert found is not None
    assert found[0].id == "burger_toppings"


def test_the_same_option_id_resolves_to_the_group_of_the_item_it_is_on(burger: Menu) -> None:
    on_hamburger = burger.find_option(burger.item_index["hamburger"], "cheese")
    on_cheeseburger = burger.find_option(burger.item_index["cheeseburger"], "cheese")
    assert on_hamburger is not None
    assert on_cheeseburger is not None
    assert (on_hamburger[0].id, on_hamburger[1].price, on_hamburger[1].default) == ("add_cheese", 60, False)
    assert (on_cheeseburger[0].id, on_cheeseburger[1].default) == ("cheese", True)


def test_an_option_not_on_the_item_is_not_found(burger: Menu) -> None:
    assert burger.find_option(burger.item_index["apple_pie"], "onions") is None


def test_size_names_come_from_the_menu_and_unknown_ids_are_spoken_plainly(pizza: Menu) -> None:
    assert pizza.size_name("extra_large") == "extra large"
    assert pizza.size_name("family_bucket") == "family bucket"


def test_extra_of_an_add_on_costs_its_extra_price_or_its_price_again() -> None:
    assert ModifierOption(id="bacon", name="bacon", price="1.50").price_extra == 150
    assert ModifierOption(id="cheese", name="cheese", extra_price="0.60").price_extra == 60


def test_menus_are_frozen(burger: Menu) -> None:
    with pytest.raises(ValidationError):
        burger.items[0].price = 1  # type: ignore[misc]


def test_with_availability_returns_a_copy_with_the_items_and_options_flagged(burger: Menu) -> None:
    sold_out = burger.with_availability({"coke", "bacon"})
    assert next(i for i in sold_out.items if i.id == "coke").available is False
    addons = next(g for g in sold_out.modifier_groups if g.id == "burger_addons")
    assert addons.option("bacon").available is False  # type: ignore[union-attr]
    assert burger.item_index["coke"].available is True  # the original menu is untouched


def test_with_availability_86es_an_item_for_lookups(burger: Menu) -> None:
    sold_out = burger.with_availability({"coke"})
    assert sold_out.item("coke").available is False  # type: ignore[union-attr]
    assert burger.item("coke").available is True  # type: ignore[union-attr]


def test_with_availability_86es_an_option_for_lookups(burger: Menu) -> None:
    sold_out = burger.with_availability({"bacon"})
    found = sold_out.find_option(sold_out.item_index["hamburger"], "bacon")
    assert found is not None
    assert found[1].available is False


def test_with_availability_brings_an_86d_item_back(burger: Menu) -> None:
    back = burger.with_availability(set(), {"pumpkin_spice_shake"})
    assert back.item("pumpkin_spice_shake").available is True  # type: ignore[union-attr]
    again = back.with_availability({"pumpkin_spice_shake"})
    assert again.item("pumpkin_spice_shake").available is False  # type: ignore[union-attr]


def test_an_item_86d_and_brought_back_in_one_call_stays_86d(burger: Menu) -> None:
    both = burger.with_availability({"coke"}, {"coke"})
    assert both.item("coke").available is False  # type: ignore[union-attr]
