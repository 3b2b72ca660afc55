"""The nearest things a menu has to words it does not know."""

from __future__ import annotations

from orderline.menu.nearest import is_food, nearest_items, spelled_like
from orderline.menu.schema import Menu


def test_a_mishearing_is_spelled_like_the_item(burger: Menu) -> None:
    assert spelled_like(burger, "a coat")[:1] == ("coke",)
    assert spelled_like(burger, "purple monkey") == ()


def test_a_shared_head_word_comes_before_a_shared_adjective(burger: Menu, coffee: Menu) -> None:
    assert nearest_items(burger, "a fish sandwich")[0].endswith("chicken_sandwich")
    assert "muffin" in nearest_items(coffee, "an english muffin")[0]


def test_the_same_kind_of_food_is_near(coffee: Menu, burger: Menu) -> None:
    assert set(nearest_items(coffee, "smoothies")) <= {"frappe", "mocha_frappe"}
    assert nearest_items(burger, "mozzarella sticks")[0] == "fries"


def test_a_drink_the_menu_has_no_kind_of_is_answered_with_its_drinks(pizza: Menu) -> None:
    near = nearest_items(pizza, "a milkshake")
    assert near and all(pizza.item_index[i].category == "drinks" for i in near)


def test_food_words_are_told_from_other_words() -> None:
    assert is_food("garlic knots") and is_food("a root beer") and is_food("wings")
    assert not is_food("a coat") and not is_food("blorp")
