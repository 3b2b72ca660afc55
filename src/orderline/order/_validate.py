"""Menu validation helpers used by the state machine: they turn specs into choices or rejections."""

from __future__ import annotations

from orderline.core.commands import Level, ModifierSpec, SlotSpec
from orderline.core.events import Event, Rejected, RejectReason
from orderline.menu.schema import Item, Menu
from orderline.order.state import ModifierChoice, SlotFill


def item_rejection(item_id: str, menu: Menu, daypart: str | None) -> Rejected | None:
    """Why ``item_id`` cannot be ordered now, or None if it can."""
    item = menu.item(item_id)
    if item is None:
        return Rejected(reason=RejectReason.UNKNOWN_ITEM, detail=item_id)
    if not item.available:
        return Rejected(reason=RejectReason.UNAVAILABLE, detail=item.name)
    if item.dayparts and daypart is not None and daypart not in item.dayparts:
        return Rejected(reason=RejectReason.NOT_IN_DAYPART, detail=item.name)
    if item.main is not None:
        main = menu.item(item.main)
        if main is not None and not main.available:
            return Rejected(reason=RejectReason.UNAVAILABLE, detail=main.name)
    return None


def quantity_cap(item: Item, menu: Menu) -> int:
    cap = menu.limits.max_quantity_per_line
    return min(cap, item.max_quantity) if item.max_quantity is not None else cap


def apply_modifiers(
    current: tuple[ModifierChoice, ...],
    specs: tuple[ModifierSpec, ...],
    item: Item,
    menu: Menu,
    accumulate: bool = False,
) -> tuple[tuple[ModifierChoice, ...], list[Event]]:
    """Merge modifier specs into a line's choices, enforcing the menu. Invalid specs are rejected.

    With ``accumulate`` (a change to a line), an option counted in units that the line already has
    gets more of it: "an extra shot" said again is a second shot, up to the option's ``max_count``.
    """
    choices = list(current)
    events: list[Event] = []
    for spec in specs:
        found = menu.find_option(item, spec.option)
        if found is None:
            events.append(
                Rejected(
                    reason=RejectReason.UNKNOWN_OPTION,
                    detail=f"{spec.option.replace('_', ' ')} on the {item.name}",
                )
            )
            continue
        group, option = found
        if not option.available and not spec.negated:
            events.append(Rejected(reason=RejectReason.UNAVAILABLE, detail=option.name))
            continue
        level = spec.level if option.levels else Level.REGULAR
        count = 1
        if spec.count > 1 and not spec.negated:
            if option.max_count > 1:
                count = min(spec.count, option.max_count)
                if spec.count > option.max_count:
                    detail = f"at most {option.max_count} {option.name}"
                    events.append(Rejected(reason=RejectReason.TOO_MANY_CHOICES, detail=detail))
            elif option.levels:
                level = Level.EXTRA  # "two ranch" where the menu counts no ranch: extra ranch
        on_side = spec.on_side and option.side
        existing = next((c for c in choices if c.option == option.id), None)
        more = accumulate and option.max_count > 1 and level is Level.REGULAR and not spec.negated
        if more and existing is not None and not existing.negated:
            wanted = existing.count + spec.count
            count = min(wanted, option.max_count)
            if wanted > option.max_count:
                detail = f"at most {option.max_count} {option.name}"
                events.append(Rejected(reason=RejectReason.TOO_MANY_CHOICES, detail=detail))
        if existing is not None:
            choices.remove(existing)
        removing_addition = existing is not None and not existing.negated and not option.default
        if spec.negated and level is Level.REGULAR and removing_addition:
            continue  # "no bacon" after "add bacon": back to none
        if not spec.negated and level is Level.REGULAR and option.default and not on_side:
            continue  # "with onions" on a burger: the default, nothing to record
        new = ModifierChoice(
            group=group.id, option=option.id, level=level, negated=spec.negated, on_side=on_side, count=count
        )
        if not new.negated:
            chosen = [c for c in choices if c.group == group.id and not c.negated]
            if len(chosen) >= group.max:
                if group.max == 1:
                    choices = [c for c in choices if c not in chosen]
                else:
                    events.append(
                        Rejected(
                            reason=RejectReason.TOO_MANY_CHOICES,
                            detail=f"at most {group.max} {group.name}",
                        )
                    )
                    if existing is not None:
                        choices.append(existing)
                    continue
        choices.append(new)
    return tuple(choices), events


def build_slots(
    item: Item,
    specs: tuple[SlotSpec, ...],
    size: str | None,
    menu: Menu,
    daypart: str | None,
) -> tuple[tuple[SlotFill, ...], list[Event]]:
    """Slot fills for a combo: the customer's choices, else the slot defaults, sized like the combo."""
    events: list[Event] = []
    fills: list[SlotFill] = []
    by_slot = {s.slot: s for s in specs}
    for slot in item.slots:
        spec = by_slot.pop(slot.id, None)
        chosen = spec.item if spec is not None else slot.default
        fill = SlotFill(slot=slot.id)
        if chosen is not None:
            if chosen not in slot.choices:
                events.append(Rejected(reason=RejectReason.UNKNOWN_SLOT, detail=f"{chosen} for {slot.name}"))
            elif (why := item_rejection(chosen, menu, daypart)) is not None:
                events.append(why)
            else:
                fill = fill_slot(fill, slot.takes_size, chosen, spec.size if spec else None, size, menu)
                if spec is not None and spec.modifiers:
                    slot_item = menu.item(chosen)
                    if slot_item is not None:
                        mods, mod_events = apply_modifiers((), spec.modifiers, slot_item, menu)
                        fill = fill.model_copy(update={"modifiers": mods})
                        events.extend(mod_events)
        fills.append(fill)
    for leftover in by_slot.values():
        events.append(Rejected(reason=RejectReason.UNKNOWN_SLOT, detail=f"{leftover.slot} on {item.name}"))
    return tuple(fills), events


def fill_slot(
    fill: SlotFill, takes_size: bool, item_id: str, size: str | None, combo_size: str | None, menu: Menu
) -> SlotFill:
    """Put ``item_id`` into a slot, choosing its size: the one asked for, else the combo's."""
    slot_item = menu.item(item_id)
    sizes = slot_item.sizes if slot_item is not None else {}
    chosen_size = size if size in sizes else None
    if chosen_size is None and takes_size and combo_size in sizes:
        chosen_size = combo_size
    return fill.model_copy(update={"item": item_id, "size": chosen_size, "modifiers": ()})
