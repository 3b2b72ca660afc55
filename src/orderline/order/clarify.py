"""What required choice is still missing from an order; the dialog asks about one at a time."""

from __future__ import annotations

from orderline.core.events import ClarificationNeeded
from orderline.menu.schema import Menu
from orderline.order.state import Order


def first_missing(order: Order, menu: Menu) -> ClarificationNeeded | None:
    """The first required choice not yet made, in line order: size, then slots, then groups."""
    for line in order.lines:
        item = menu.item(line.item)
        if item is None:
            continue
        if item.sizes and item.size_required and line.size is None:
            return ClarificationNeeded(line=line.id, choice="size", target=item.id, options=tuple(item.sizes))
        for fill in line.slots:
            if fill.item is None:
                slot = next(s for s in item.slots if s.id == fill.slot)
                options = tuple(c for c in slot.choices if (i := menu.item(c)) is not None and i.available)
                return ClarificationNeeded(line=line.id, choice="slot", target=slot.id, options=options)
        for group in menu.groups_for(item):
            if group.min == 0:
                continue
            chosen = [m for m in line.modifiers if m.group == group.id and not m.negated]
            defaults = [o for o in group.options if o.default]
            if len(chosen) + (len(defaults) if not chosen else 0) < group.min:
                options = tuple(o.id for o in group.options if o.available)
                return ClarificationNeeded(line=line.id, choice="group", target=group.id, options=options)
    return None
