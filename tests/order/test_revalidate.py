"""An order resumed against a changed menu: what the menu no longer has comes off, with a note."""

from __future__ import annotations

from pathlib import Path

import yaml

from orderline.core.commands import AddItem, Done, ModifierSpec
from orderline.menu.loader import parse_menu
from orderline.menu.schema import Menu
from orderline.order.machine import new_order, transition
from orderline.order.revalidate import revalidate
from orderline.order.state import DialogState, Order

ROOT = Path(__file__).resolve().parents[2]


def _order(menu: Menu, *commands: object) -> Order:
    order = new_order("o")
    for command in commands:
        order, _ = transition(order, command, menu)  # type: ignore[arg-type]
    return order


def _without_item(menu: Menu, item_id: str) -> Menu:
    """The bundled menu file as edited by an operator: the item deleted."""
    data = yaml.safe_load((ROOT / "menus" / "burger.yaml").read_text())
    data["items"] = [i for i in data["items"] if i["id"] != item_id]
    return parse_menu(data)


def test_an_unchanged_menu_changes_nothing(burger: Menu) -> None:
    order = _order(
        burger, AddItem(item="cheeseburger", modifiers=(ModifierSpec(option="onions", negated=True),))
    )
    assert revalidate(order, burger) == (order, ())


def test_a_removed_item_comes_off_and_the_readback_is_redone(burger: Menu) -> None:
    order = _order(burger, AddItem(item="cheeseburger"), AddItem(item="hamburger"), Done())
    assert order.state in (DialogState.READBACK, DialogState.UPSELL)
    changed, notes = revalidate(order, _without_item(burger, "hamburger"))
    assert [line.item for line in changed.lines] == ["cheeseburger"]
    assert notes == ("the hamburger is no longer on the menu, so I took it off",)
    assert changed.state is DialogState.TAKING_ORDER


def test_a_closed_order_is_left_alone(burger: Menu) -> None:
    order = _order(burger, AddItem(item="hamburger")).model_copy(update={"state": DialogState.SUBMITTED})
    assert revalidate(order, _without_item(burger, "hamburger")) == (order, ())
