"""A menu's fingerprint changes with its content, not with availability (86)."""

from __future__ import annotations

from orderline.menu.fingerprint import menu_fingerprint
from orderline.menu.schema import Menu


def test_the_fingerprint_is_stable_and_ignores_availability(burger: Menu) -> None:
    assert menu_fingerprint(burger) == menu_fingerprint(burger)
    assert menu_fingerprint(burger.with_availability({"fries", "onions"})) == menu_fingerprint(burger)


def test_an_edited_menu_has_another_fingerprint(burger: Menu, pizza: Menu) -> None:
    cheaper = burger.model_copy(
        update={"items": (burger.items[0].model_copy(update={"price": 1}), *burger.items[1:])}
    )
    assert menu_fingerprint(cheaper) != menu_fingerprint(burger)
    assert menu_fingerprint(pizza) != menu_fingerprint(burger)
    assert len(menu_fingerprint(burger)) == 16
