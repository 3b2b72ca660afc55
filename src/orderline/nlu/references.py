"""References to lines already ordered: "same again", "another one of those but large", "same again
but chocolate". The copy starts from the line and takes the changes said with it.
"""

from __future__ import annotations

from orderline.core.commands import AddItem, Command, ModifierSpec, SetQuantity, SlotSpec
from orderline.menu.schema import Menu
from orderline.nlu.frames import FrameBuilder, frame_specs
from orderline.nlu.tagger import Tag, uncovered
from orderline.nlu.vocab import Kind
from orderline.order.state import Order, OrderLine

_SAME_QUANTITY = ("same", "the same")  # "same again" repeats the line's quantity; "another" is one more


def variant_by_word(menu: Menu, base: str, words: tuple[str, ...]) -> str | None:
    """The item of the same kind whose name differs from ``base`` by a word the customer said:
    "same again but chocolate" after a Vanilla Shake is the Chocolate Shake."""
    item = menu.item(base)
    if item is None or not words:
        return None
    base_words = set(item.name.lower().split())
    for other in menu.items:
        if other.id == base or other.category != item.category or not other.available:
            continue
        name_words = set(other.name.lower().split())
        if any(w in name_words and w not in base_words for w in words) and len(name_words - base_words) == 1:
            return other.id
    return None


def _specs(line: OrderLine) -> tuple[ModifierSpec, ...]:
    return tuple(
        ModifierSpec(option=m.option, level=m.level, negated=m.negated, on_side=m.on_side)
        for m in line.modifiers
    )


def repeat_line(
    menu: Menu, builder: FrameBuilder, tags: list[Tag], tokens: tuple[str, ...], raw: list[Tag], order: Order
) -> list[Command]:
    """Commands for "same again" / "another one of those" with their changes ("but large")."""
    base = order.last_line
    if base is None:
        return []
    repeat = next(t for t in tags if t.kind is Kind.REPEAT)
    quantity = base.quantity if repeat.text.startswith(_SAME_QUANTITY) else 1
    rest = [t for t in tags if t.kind not in (Kind.REPEAT, Kind.REF, Kind.CONJ, Kind.INSTEAD)]
    frames = builder.build(rest)
    words = tuple(tokens[k] for a, b in uncovered(tokens, raw) for k in range(a, b))
    item_id = variant_by_word(menu, base.item, words) or base.item
    item = menu.item_index[item_id]
    size = next((f.size for f in frames if f.size is not None), None)
    if size is None or size not in item.sizes:
        size = base.size if base.size in item.sizes else None
    qty = next((f.qty for f in frames if f.qty is not None and not f.qty_weak), None)
    new_specs = tuple(s for f in frames for s in frame_specs(f, menu, item_id))
    instead = any(t.kind is Kind.INSTEAD for t in tags)
    replaced_groups = {
        found[0].id for s in new_specs if (found := menu.find_option(item, s.option)) is not None
    }
    kept = tuple(
        s
        for s in _specs(base)
        if menu.find_option(item, s.option) is not None
        and not (instead and menu.find_option(item, s.option)[0].id in replaced_groups)  # type: ignore[index]
    )
    slots = tuple(SlotSpec(slot=f.slot, item=f.item, size=f.size) for f in base.slots if f.item is not None)
    add = AddItem(
        item=item_id,
        quantity=qty or quantity,
        size=size,
        modifiers=(*kept, *new_specs),
        slots=slots,
    )
    if item_id == base.item and size == base.size and not new_specs:
        # the same thing again is one line with more of it, as a crew member rings it up
        return [SetQuantity(line=base.id, quantity=base.quantity + add.quantity)]
    return [add]
