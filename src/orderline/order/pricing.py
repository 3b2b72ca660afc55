"""Prices, tax and totals, in integer cents. Enforced here and only here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from orderline.core.commands import Level
from orderline.menu.schema import Item, Menu
from orderline.order.state import ModifierChoice, Order, OrderLine


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    subtotal_cents: int
    tax_cents: int
    total_cents: int


def modifier_price(choice: ModifierChoice, item: Item, menu: Menu) -> int:
    """What one modifier adds to the unit price. Removing something never discounts."""
    found = menu.find_option(item, choice.option)
    if found is None or choice.negated:
        return 0
    option = found[1]
    if option.default:
        return option.price_extra if choice.level is Level.EXTRA else 0
    if choice.level is Level.EXTRA:
        return option.price + option.price_extra
    return option.price * max(1, choice.count)  # "two extra shots": each shot is charged


def unit_price(line: OrderLine, menu: Menu) -> int:
    item = menu.item(line.item)
    if item is None:
        return 0
    cents = item.price_for(line.size)
    cents += sum(modifier_price(m, item, menu) for m in line.modifiers)
    for fill in line.slots:
        slot = next((s for s in item.slots if s.id == fill.slot), None)
        if slot is None or fill.item is None:
            continue
        cents += slot.upcharges.get(fill.item, 0)
        slot_item = menu.item(fill.item)
        if slot_item is not None:
            cents += sum(modifier_price(m, slot_item, menu) for m in fill.modifiers)
    return cents


def line_total(line: OrderLine, menu: Menu) -> int:
    return unit_price(line, menu) * line.quantity


def totals(order: Order, menu: Menu) -> Totals:
    subtotal = sum(line_total(line, menu) for line in order.lines)
    tax = int((Decimal(subtotal) * Decimal(str(menu.tax_rate))).quantize(Decimal("1"), ROUND_HALF_UP))
    return Totals(subtotal_cents=subtotal, tax_cents=tax, total_cents=subtotal + tax)


def money(cents: int, currency: str = "USD") -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    return f"{symbol}{cents // 100}.{cents % 100:02d}" if symbol else f"{cents / 100:.2f} {currency}"
