"""The priced order in words: what the API, the kitchen stream and the dashboard show."""

from __future__ import annotations

from orderline.core.commands import AddItem, ModifierSpec
from orderline.menu.schema import Menu
from orderline.order.machine import new_order, transition
from orderline.order.pricing import totals
from orderline.order.ticket import ticket


def test_a_ticket_prices_each_line_and_says_its_modifiers(burger: Menu) -> None:
    order, _ = transition(
        new_order("o"),
        AddItem(item="cheeseburger", quantity=2, modifiers=(ModifierSpec(option="onions", negated=True),)),
        burger,
    )
    t = ticket(order, burger)
    line = t.lines[0]
    assert (line.item, line.quantity, line.name) == ("cheeseburger", 2, "Cheeseburger")
    assert [(m.code, m.words) for m in line.modifiers] == [("-onions", "no onions")]
    assert line.total_cents == 2 * line.unit_cents
    assert "no onions" in line.words
    assert t.total_cents == totals(order, burger).total_cents
    assert t.total == f"${t.total_cents // 100}.{t.total_cents % 100:02d}"
