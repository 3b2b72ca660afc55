"""Re-check an open order against a menu that changed while the conversation was paused.

A conversation record remembers the fingerprint of the menu it was taken on. When a session resumes on a
worker whose menu differs (an item removed, a size or option dropped), the order is checked line by line:
what the menu no longer has is taken off, and each change is described so the customer is told. Pure.
"""

from __future__ import annotations

from orderline.menu.schema import Menu
from orderline.order.clarify import first_missing
from orderline.order.state import DialogState, ModifierChoice, Order, OrderLine, SlotFill


def _words(entity_id: str) -> str:
    return entity_id.replace("_", " ")


def _check_line(line: OrderLine, menu: Menu) -> tuple[OrderLine | None, list[str]]:
    item = menu.item(line.item)
    if item is None:
        return None, [f"the {_words(line.item)} is no longer on the menu, so I took it off"]
    notes: list[str] = []
    size = line.size
    if size is not None and size not in item.sizes:
        notes.append(f"the {item.name} no longer comes in {menu.size_name(size)}")
        size = None
    kept: list[ModifierChoice] = []
    for choice in line.modifiers:
        if menu.find_option(item, choice.option) is None:
            notes.append(f"{_words(choice.option)} is no longer available on the {item.name}")
        else:
            kept.append(choice)
    slots: list[SlotFill] = []
    for fill in line.slots:
        slot = next((s for s in item.slots if s.id == fill.slot), None)
        if slot is None:
            continue
        if fill.item is not None and fill.item not in slot.choices:
            notes.append(f"the {_words(fill.item)} is no longer a {slot.id} choice")
            fill = SlotFill(slot=fill.slot)
        slots.append(fill)
    slots += [SlotFill(slot=s.id) for s in item.slots if all(f.slot != s.id for f in slots)]
    return line.model_copy(update={"size": size, "modifiers": tuple(kept), "slots": tuple(slots)}), notes


def revalidate(order: Order, menu: Menu) -> tuple[Order, tuple[str, ...]]:
    """The order with what ``menu`` no longer offers taken off, and a note per change (empty: unchanged).

    Closed orders (submitted, cancelled, handed off) are left as they were.
    """
    if order.is_closed:
        return order, ()
    lines: list[OrderLine] = []
    notes: list[str] = []
    for line in order.lines:
        checked, line_notes = _check_line(line, menu)
        notes += line_notes
        if checked is not None:
            lines.append(checked)
    if not notes and tuple(lines) == order.lines:
        return order, ()
    new = order.model_copy(update={"lines": tuple(lines), "undo_stack": ()})
    if first_missing(new, menu) is not None:
        state = DialogState.CLARIFYING
    elif new.state in (DialogState.CLARIFYING, DialogState.UPSELL, DialogState.READBACK):
        state = DialogState.TAKING_ORDER  # the readback (or question) was about the old order
    else:
        state = new.state
    return new.model_copy(update={"state": state}), tuple(notes)
