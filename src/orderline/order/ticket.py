"""An order as the kitchen, the POS, the API and the dashboard see it: lines in words, with prices."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from orderline.core.provenance import Provenance
from orderline.menu.schema import Menu
from orderline.order.describe import describe_line, describe_modifier, modifier_code
from orderline.order.pricing import line_total, money, totals, unit_price
from orderline.order.state import DialogState, Order


class TicketModifier(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Compact form: -onions, +bacon, +mayo=light, +ranch@side.")
    words: str = Field(description="As the reply says it: 'no onions'.")


class TicketSlot(BaseModel):
    model_config = ConfigDict(frozen=True)

    slot: str
    item: str | None = Field(description="None while the customer has not chosen.")
    size: str | None = None
    modifiers: tuple[TicketModifier, ...] = ()


class TicketLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int = Field(description="Stable line id within the order.")
    item: str
    name: str
    quantity: int
    size: str | None = None
    modifiers: tuple[TicketModifier, ...] = ()
    slots: tuple[TicketSlot, ...] = ()
    words: str = Field(description="The whole line in words, as read back.")
    unit_cents: int
    total_cents: int
    provenance: tuple[Provenance, ...] = Field(
        (), description="Every command that created or changed the line."
    )


class Ticket(BaseModel):
    """An order with prices, in integer cents (``total`` is formatted for people)."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    state: DialogState
    currency: str
    lines: tuple[TicketLine, ...]
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    total: str = Field(description="e.g. '$12.34'.")


def ticket(order: Order, menu: Menu) -> Ticket:
    """The order priced against ``menu``."""
    lines = []
    for line in order.lines:
        item = menu.item(line.item)
        mods = tuple(
            TicketModifier(code=modifier_code(m), words=describe_modifier(m, item, menu))
            for m in line.modifiers
        )
        slots = tuple(
            TicketSlot(
                slot=f.slot,
                item=f.item,
                size=f.size,
                modifiers=tuple(
                    TicketModifier(
                        code=modifier_code(m), words=describe_modifier(m, menu.item(f.item or ""), menu)
                    )
                    for m in f.modifiers
                ),
            )
            for f in line.slots
        )
        lines.append(
            TicketLine(
                line=line.id,
                item=line.item,
                name=item.name if item is not None else line.item,
                quantity=line.quantity,
                size=line.size,
                modifiers=mods,
                slots=slots,
                words=describe_line(line, menu),
                unit_cents=unit_price(line, menu),
                total_cents=line_total(line, menu),
                provenance=line.provenance,
            )
        )
    t = totals(order, menu)
    return Ticket(
        order_id=order.id,
        state=order.state,
        currency=menu.currency,
        lines=tuple(lines),
        subtotal_cents=t.subtotal_cents,
        tax_cents=t.tax_cents,
        total_cents=t.total_cents,
        total=money(t.total_cents, menu.currency),
    )
