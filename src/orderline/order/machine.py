"""The order state machine: ``transition(order, command, menu) -> (order, events)``.

Pure and total: every command in every state gives a new order, or the same order with a
rejection event carrying a reason. It never raises for customer input, never does I/O, and is the
only place where prices, availability and limits are enforced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orderline.core.commands import (
    AddItem,
    Affirm,
    Cancel,
    CannotHandle,
    ClearOrder,
    Command,
    Confirm,
    Deny,
    Done,
    FillSlot,
    Handoff,
    ModifyLine,
    RemoveLine,
    ReplaceItem,
    SetQuantity,
    SetSize,
    Undo,
    Unplaced,
)
from orderline.core.events import (
    ChangeRequested,
    Cleared,
    Event,
    HandedOff,
    LineAdded,
    LineChanged,
    LineRemoved,
    ModifierUnplaced,
    NotUnderstood,
    OrderCancelled,
    OrderSubmitted,
    QuestionRepeated,
    ReadbackRequested,
    Rejected,
    RejectReason,
    Undone,
    UpsellOffered,
)
from orderline.menu.nearest import is_food, nearest_items
from orderline.menu.schema import ComboSlot, Menu
from orderline.order._validate import apply_modifiers, build_slots, fill_slot, item_rejection, quantity_cap
from orderline.order.clarify import first_missing
from orderline.order.pricing import totals
from orderline.order.state import DialogState, OpenQuestion, Order, OrderLine

MAX_UNDO = 20
MAX_FAILED_TURNS = 3

Result = tuple[Order, tuple[Event, ...]]

# Commands that change the lines of the order (they make a readback stale and reset failures).
_CHANGES = (AddItem, RemoveLine, ModifyLine, SetQuantity, SetSize, FillSlot, ReplaceItem, Undo, ClearOrder)


def new_order(order_id: str = "", daypart: str | None = None) -> Order:
    """A fresh order in the greeting state."""
    return Order(id=order_id, daypart=daypart)


def transition(order: Order, command: Command, menu: Menu) -> Result:
    """Apply one command to an order.

    Args:
        order: the current order (not modified).
        command: a typed command proposed by understanding, the crew or the system.
        menu: the menu to validate and price against.

    Returns:
        The new order and the events describing what happened (rejections included).
    """
    if order.is_closed:
        return order, (Rejected(reason=RejectReason.ORDER_CLOSED, detail=order.state.value),)
    handler = _HANDLERS[type(command)]
    new, events = handler(order, command, menu)
    if new.asked and not isinstance(command, Unplaced):
        new = new.model_copy(update={"asked": ()})  # the question was answered, or passed over
    return _settle(order, new, events, command, menu)


def _settle(before: Order, after: Order, events: list[Event], command: Command, menu: Menu) -> Result:
    """Derive the dialog state: closed states stay, missing choices mean clarifying.

    Once the upsell or the readback has been reached (``Order.review``), a change that leaves no
    choice to ask about goes straight back to the readback: "no, I said a large fries" or "yeah, a
    medium coke" is followed by "I have ... Is that correct?", never by "Anything else?".
    """
    if after.is_closed:
        return after, tuple(events)
    changed = after.lines != before.lines
    if isinstance(command, CannotHandle) or (any(isinstance(e, Rejected) for e in events) and not changed):
        failed = after.failed_turns
    else:
        failed = 0
    update: dict[str, Any] = {"failed_turns": failed}
    if changed:
        update["repeats"] = 0  # a new question, or an answer: the way-out count starts again
    if not after.lines:
        update["review"] = False
    after = after.model_copy(update=update)
    missing = first_missing(after, menu)
    if missing is not None:
        events.append(missing)
        return after.model_copy(update={"state": DialogState.CLARIFYING}), tuple(events)
    state = after.state
    if state is DialogState.CLARIFYING or (state is DialogState.GREETING and after.lines):
        state = DialogState.TAKING_ORDER
    if changed and isinstance(command, _CHANGES) and state in (DialogState.READBACK, DialogState.UPSELL):
        state = DialogState.TAKING_ORDER  # the readback is stale; an accepted upsell is not a change
    if changed and isinstance(command, _CHANGES) and after.review and after.lines:
        state = DialogState.READBACK
        events.append(ReadbackRequested())
    return after.model_copy(update={"state": state}), tuple(events)


def _resolve(order: Order, line_id: int | None) -> OrderLine | None:
    if line_id is None:
        return order.last_line
    return order.line(line_id)


def _unknown_line(line_id: int | None) -> list[Event]:
    detail = "the order is empty" if line_id is None else f"line {line_id}"
    return [Rejected(reason=RejectReason.UNKNOWN_LINE, detail=detail)]


def _with_lines(order: Order, lines: tuple[OrderLine, ...], **update: Any) -> Order:
    stack = (*order.undo_stack, order.lines)[-MAX_UNDO:]
    return order.model_copy(update={"lines": lines, "undo_stack": stack, **update})


def _replace_line(order: Order, line: OrderLine) -> Order:
    return _with_lines(order, tuple(line if old.id == line.id else old for old in order.lines))


def _add(order: Order, cmd: AddItem, menu: Menu) -> tuple[Order, list[Event]]:
    why = item_rejection(cmd.item, menu, order.daypart)
    if why is not None:
        return order, [why]
    item = menu.item_index[cmd.item]
    if len(order.lines) >= menu.limits.max_lines:
        return order, [
            Rejected(reason=RejectReason.LINE_CAP, detail=f"at most {menu.limits.max_lines} lines")
        ]
    cap = quantity_cap(item, menu)
    if cmd.quantity > cap:
        return order, [Rejected(reason=RejectReason.QUANTITY_CAP, detail=f"at most {cap} {item.name}")]
    events: list[Event] = []
    size = cmd.size if cmd.size in item.sizes else None
    if cmd.size is not None and item.sizes and size is None:
        events.append(
            Rejected(reason=RejectReason.UNKNOWN_SIZE, detail=f"{item.name} in {menu.size_name(cmd.size)}")
        )
    if size is None and item.default_size is not None:
        size = item.default_size
    modifiers, mod_events = apply_modifiers((), cmd.modifiers, item, menu)
    slots, slot_events = build_slots(item, cmd.slots, size, menu, order.daypart)
    line = OrderLine(
        id=order.next_line_id,
        item=item.id,
        quantity=cmd.quantity,
        size=size,
        modifiers=modifiers,
        slots=slots,
        provenance=(cmd.provenance,),
    )
    new = _with_lines(order, (*order.lines, line), next_line_id=order.next_line_id + 1)
    return new, [LineAdded(line=line.id), *events, *mod_events, *slot_events]


def _remove(order: Order, cmd: RemoveLine, menu: Menu) -> tuple[Order, list[Event]]:
    line = _resolve(order, cmd.line)
    if line is None:
        return order, _unknown_line(cmd.line)
    item = menu.item(line.item)
    lines = tuple(old for old in order.lines if old.id != line.id)
    return _with_lines(order, lines), [LineRemoved(line=line.id, name=item.name if item else line.item)]


def _stamp(line: OrderLine, cmd: Command, **update: Any) -> OrderLine:
    return line.model_copy(update={**update, "provenance": (*line.provenance, cmd.provenance)})


def _modify(order: Order, cmd: ModifyLine, menu: Menu) -> tuple[Order, list[Event]]:
    line = _resolve(order, cmd.line)
    if line is None:
        return order, _unknown_line(cmd.line)
    item = menu.item_index[line.item]
    modifiers, events = apply_modifiers(line.modifiers, cmd.modifiers, item, menu, accumulate=True)
    if modifiers == line.modifiers:
        if cmd.modifiers and not events:
            # already so ("no onions" on a burger that has none): say so, so the words are confirmed
            return order, [LineChanged(line=line.id, what="modifiers")]
        return order, events
    return _replace_line(order, _stamp(line, cmd, modifiers=modifiers)), [
        LineChanged(line=line.id, what="modifiers"),
        *events,
    ]


def _set_quantity(order: Order, cmd: SetQuantity, menu: Menu) -> tuple[Order, list[Event]]:
    line = _resolve(order, cmd.line)
    if line is None:
        return order, _unknown_line(cmd.line)
    item = menu.item_index[line.item]
    cap = quantity_cap(item, menu)
    if cmd.quantity > cap:
        return order, [Rejected(reason=RejectReason.QUANTITY_CAP, detail=f"at most {cap} {item.name}")]
    return _replace_line(order, _stamp(line, cmd, quantity=cmd.quantity)), [
        LineChanged(line=line.id, what="quantity")
    ]


def _set_size(order: Order, cmd: SetSize, menu: Menu) -> tuple[Order, list[Event]]:
    line = _resolve(order, cmd.line)
    if line is None:
        return order, _unknown_line(cmd.line)
    item = menu.item_index[line.item]
    if cmd.size not in item.sizes:
        detail = f"{item.name} in {menu.size_name(cmd.size)}"
        return order, [Rejected(reason=RejectReason.UNKNOWN_SIZE, detail=detail)]
    slot_rules = {s.id: s.takes_size for s in item.slots}
    slots = tuple(
        fill_slot(f, True, f.item, None, cmd.size, menu).model_copy(update={"modifiers": f.modifiers})
        if f.item is not None and slot_rules.get(f.slot, False)
        else f
        for f in line.slots
    )
    return _replace_line(order, _stamp(line, cmd, size=cmd.size, slots=slots)), [
        LineChanged(line=line.id, what="size")
    ]


def _fill_slot(order: Order, cmd: FillSlot, menu: Menu) -> tuple[Order, list[Event]]:
    if cmd.line is not None and order.line(cmd.line) is None:
        return order, _unknown_line(cmd.line)
    candidates = [order.line(cmd.line)] if cmd.line is not None else list(reversed(order.lines))
    fits: list[tuple[OrderLine, ComboSlot]] = [
        (line, slot)
        for line in candidates
        if line is not None
        for slot in menu.item_index[line.item].slots
        if (cmd.slot is None or slot.id == cmd.slot) and cmd.item in slot.choices
    ]
    if not fits:
        named = menu.item(cmd.item)
        return order, [Rejected(reason=RejectReason.UNKNOWN_SLOT, detail=named.name if named else cmd.item)]
    empty = [(line, slot) for line, slot in fits if _slot_item(line, slot.id) is None]
    line, slot = (empty or fits)[0]  # prefer a slot still waiting for a choice
    why = item_rejection(cmd.item, menu, order.daypart)
    if why is not None:
        return order, [why]
    fill = next(f for f in line.slots if f.slot == slot.id)
    new_fill = fill_slot(fill, slot.takes_size, cmd.item, cmd.size, line.size, menu)
    slots = tuple(new_fill if f.slot == slot.id else f for f in line.slots)
    return _replace_line(order, _stamp(line, cmd, slots=slots)), [LineChanged(line=line.id, what=slot.id)]


def _slot_item(line: OrderLine, slot_id: str) -> str | None:
    return next((f.item for f in line.slots if f.slot == slot_id), None)


def _replace(order: Order, cmd: ReplaceItem, menu: Menu) -> tuple[Order, list[Event]]:
    line = _resolve(order, cmd.line)
    if line is None:
        return order, _unknown_line(cmd.line)
    why = item_rejection(cmd.item, menu, order.daypart)
    if why is not None:
        return order, [why]
    item = menu.item_index[cmd.item]
    cap = quantity_cap(item, menu)
    quantity = min(line.quantity, cap)
    wanted = cmd.size or line.size
    size = wanted if wanted in item.sizes else item.default_size
    # what the customer already asked for stays where the new item takes it ("make that an everything
    # bagel" keeps the cream cheese, "make it a meal" keeps "no onions")
    kept = tuple(
        m.model_copy(update={"group": found[0].id})
        for m in line.modifiers
        if (found := menu.find_option(item, m.option)) is not None and (found[1].default or not m.negated)
    )
    modifiers, events = apply_modifiers(kept, cmd.modifiers, item, menu)
    slots, slot_events = build_slots(item, (), size, menu, order.daypart)
    new_line = _stamp(line, cmd, item=item.id, quantity=quantity, size=size, modifiers=modifiers, slots=slots)
    return _replace_line(order, new_line), [LineChanged(line=line.id, what="item"), *events, *slot_events]


def _undo(order: Order, cmd: Undo, menu: Menu) -> tuple[Order, list[Event]]:
    if not order.undo_stack:
        return order, [Rejected(reason=RejectReason.NOTHING_TO_UNDO)]
    *rest, previous = order.undo_stack
    return order.model_copy(update={"lines": previous, "undo_stack": tuple(rest)}), [Undone()]


def _clear(order: Order, cmd: ClearOrder, menu: Menu) -> tuple[Order, list[Event]]:
    if not order.lines:
        return order, [Rejected(reason=RejectReason.EMPTY_ORDER)]
    return _with_lines(order, ()), [Cleared()]


def _upsell_for(order: Order, menu: Menu) -> tuple[str, str] | None:
    categories = {menu.item_index[line.item].category for line in order.lines}
    for line in order.lines:
        main = menu.item(menu.item_index[line.item].main or "")
        if main is not None:
            categories.add(main.category)  # a coffee deal already has its coffee
    for slot_fill in (f for line in order.lines for f in line.slots if f.item is not None):
        slot_item = menu.item(slot_fill.item or "")
        if slot_item is not None:
            categories.add(slot_item.category)
    for rule in menu.upsells:
        if rule.when_category is not None and rule.when_category not in categories:
            continue
        if rule.unless_category is not None and rule.unless_category in categories:
            continue
        if item_rejection(rule.offer, menu, order.daypart) is None:
            return rule.offer, rule.prompt
    return None


def _done(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]]:
    if not order.lines:
        return order, [Rejected(reason=RejectReason.EMPTY_ORDER)]
    if first_missing(order, menu) is not None:
        return order, []
    if not order.upsell_offered:
        offer = _upsell_for(order, menu)
        if offer is not None:
            update = {
                "state": DialogState.UPSELL,
                "upsell_offered": True,
                "offered_item": offer[0],
                "review": True,
            }
            return order.model_copy(update=update), [UpsellOffered(item=offer[0], prompt=offer[1])]
    update = {"state": DialogState.READBACK, "review": True}
    return order.model_copy(update=update), [ReadbackRequested()]


def _submit(order: Order, menu: Menu) -> tuple[Order, list[Event]]:
    total = totals(order, menu).total_cents
    return order.model_copy(update={"state": DialogState.SUBMITTED}), [OrderSubmitted(total_cents=total)]


def _pending_line(order: Order, menu: Menu) -> OrderLine | None:
    missing = first_missing(order, menu) if order.state is DialogState.CLARIFYING else None
    return order.line(missing.line) if missing is not None else None


def _repeat_question(order: Order, menu: Menu) -> tuple[Order, list[Event]] | None:
    """ "That's all" or "yes" while a required choice is pending: the first time, ask again and
    say the way out; after that, leave the unfinished line off so the customer is never stuck."""
    line = _pending_line(order, menu)
    if line is None:
        return None
    if order.repeats < 1:
        return order.model_copy(update={"repeats": order.repeats + 1}), [QuestionRepeated(line=line.id)]
    return None


def _skip_question(order: Order, menu: Menu) -> tuple[Order, list[Event]] | None:
    """ "No thanks" to a pending choice: take the menu's default where there is one, else drop the
    line the question is about."""
    missing = first_missing(order, menu) if order.state is DialogState.CLARIFYING else None
    line = order.line(missing.line) if missing is not None else None
    if missing is None or line is None:
        return None
    item = menu.item_index[line.item]
    if missing.choice == "slot":
        slot = next((s for s in item.slots if s.id == missing.target), None)
        if slot is not None and slot.default is not None:
            filled, events = _fill_slot(order, FillSlot(line=line.id, slot=slot.id, item=slot.default), menu)
            if filled != order:
                return filled, events
            # the default cannot go in (86'd today): the line is dropped like one without a default
    return _remove(order, RemoveLine(line=line.id), menu)


def _suggested(order: Order) -> str | None:
    """The item the last reply offered instead of something the menu does not have, if it asked."""
    if order.state not in (DialogState.GREETING, DialogState.TAKING_ORDER):
        return None
    offers = [q.suggestions for q in order.asked if q.asks and q.suggestions and not q.options]
    return offers[0][0] if len(offers) == 1 and len(offers[0]) == 1 else None


def _affirm(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]]:
    suggested = _suggested(order)
    if suggested is not None:
        # "Sorry, we don't have garlic knots. Would you like breadsticks instead?" "Yes."
        return _add(order, AddItem(item=suggested, provenance=cmd.provenance), menu)
    repeated = _repeat_question(order, menu)
    if repeated is not None:
        return repeated
    if order.state is DialogState.CLARIFYING:
        return order, [Rejected(reason=RejectReason.NOT_APPLICABLE, detail="yes")]
    if order.state is DialogState.UPSELL and order.offered_item is not None:
        added, events = _add(order, AddItem(item=order.offered_item, provenance=cmd.provenance), menu)
        if first_missing(added, menu) is None:
            added = added.model_copy(update={"state": DialogState.READBACK})
            events.append(ReadbackRequested())
        return added, events
    if order.state is DialogState.READBACK:
        return _submit(order, menu)
    return order, [Rejected(reason=RejectReason.NOT_APPLICABLE, detail="yes")]


def _deny(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]]:
    if any(q.asks for q in order.asked) and order.state in (DialogState.GREETING, DialogState.TAKING_ORDER):
        return order, []  # "no" to "did you mean ...?" or "should the burger have ...?": leave it off
    skipped = _skip_question(order, menu)
    if skipped is not None:
        return skipped
    if order.state is DialogState.UPSELL:
        return order.model_copy(update={"state": DialogState.READBACK}), [ReadbackRequested()]
    if order.state is DialogState.READBACK:
        return order.model_copy(update={"state": DialogState.TAKING_ORDER}), [ChangeRequested()]
    if order.state is DialogState.TAKING_ORDER:
        return _done(order, cmd, menu)  # "anything else?" -> "no"
    return order, [Rejected(reason=RejectReason.NOT_APPLICABLE, detail="no")]


def _confirm(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]]:
    finished = _finish_pending(order, cmd, menu)
    if finished is not None:
        return finished
    if order.state is DialogState.READBACK:
        return _submit(order, menu)
    return _done(order, cmd, menu)  # never submit without a readback


def _finish_pending(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]] | None:
    """ "That's all" with a question pending: ask once more, then drop the unfinished line and
    finish (upsell or readback)."""
    if order.state is not DialogState.CLARIFYING:
        return None
    repeated = _repeat_question(order, menu)
    if repeated is not None:
        return repeated
    dropped, events = order, []
    while (skipped := _skip_question(dropped, menu)) is not None:
        # "that's all" twice means done: every line still waiting for a choice is left off
        if skipped[0] == dropped:
            break  # no progress (never loop: a hypothesis run once grew this list until the OOM killer)
        dropped, more = skipped
        events.extend(more)
        if first_missing(dropped, menu) is None:
            break
        dropped = dropped.model_copy(update={"state": DialogState.CLARIFYING})
    done, done_events = _done(dropped.model_copy(update={"state": DialogState.TAKING_ORDER}), cmd, menu)
    return done, [*events, *done_events]


def _done_or_confirm(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]]:
    finished = _finish_pending(order, cmd, menu)
    if finished is not None:
        return finished
    if order.state is DialogState.READBACK:
        return _submit(order, menu)  # "that's it" after the readback
    if order.state is DialogState.UPSELL:
        return _deny(order, cmd, menu)
    return _done(order, cmd, menu)


def _cancel(order: Order, cmd: Command, menu: Menu) -> tuple[Order, list[Event]]:
    return order.model_copy(update={"state": DialogState.CANCELLED}), [OrderCancelled()]


def _handoff(order: Order, cmd: Handoff, menu: Menu) -> tuple[Order, list[Event]]:
    return order.model_copy(update={"state": DialogState.HANDED_OFF}), [HandedOff(reason=cmd.reason)]


def _unplaced(order: Order, cmd: Unplaced, menu: Menu) -> tuple[Order, list[Event]]:
    """Nothing changes; the reply asks about the words (never drops them silently).

    Modifier words: which line they belong to. Words that name nothing on the menu: food or drink it
    does not sell is refused with the nearest things it does ("we don't have garlic knots");
    anything else is asked about, with the item it sounds like ("I didn't get 'a coat'").
    """
    can_ask = order.state in (DialogState.GREETING, DialogState.TAKING_ORDER)
    if not cmd.options:
        near = tuple(
            i for i in nearest_items(menu, cmd.words) if item_rejection(i, menu, order.daypart) is None
        )
        food = is_food(cmd.words)
        # off the menu: "would you like X instead?" when there is one nearest thing, else name them;
        # not understood: always asked about ("did you mean a Coke?", "what was that?")
        asks = can_ask and (len(near) == 1 or not food)
        asked = OpenQuestion(words=cmd.words, suggestions=near, asks=asks)
        event: Event = (
            Rejected(reason=RejectReason.UNKNOWN_ITEM, detail=cmd.words)
            if food
            else ModifierUnplaced(words=cmd.words)
        )
        return order.model_copy(update={"asked": _ask(order, asked)}), [event]
    lines = tuple(
        line.id
        for line in order.lines
        if any(menu.find_option(menu.item_index[line.item], o) is not None for o in cmd.options)
    )
    asked = OpenQuestion(words=cmd.words, options=cmd.options, lines=lines, asks=can_ask and bool(lines))
    return order.model_copy(update={"asked": _ask(order, asked)}), [
        ModifierUnplaced(words=cmd.words, lines=lines)
    ]


def _ask(order: Order, question: OpenQuestion) -> tuple[OpenQuestion, ...]:
    """The questions of this turn so far plus ``question`` (the same words asked again count once)."""
    return (*(q for q in order.asked if q.words != question.words), question)


def _cannot_handle(order: Order, cmd: CannotHandle, menu: Menu) -> tuple[Order, list[Event]]:
    failed = order.failed_turns + 1
    if failed >= MAX_FAILED_TURNS:
        reason = "repeated misunderstanding"
        return order.model_copy(update={"state": DialogState.HANDED_OFF, "failed_turns": failed}), [
            NotUnderstood(text=cmd.text),
            HandedOff(reason=reason),
        ]
    return order.model_copy(update={"failed_turns": failed}), [NotUnderstood(text=cmd.text)]


_HANDLERS: dict[type, Callable[[Order, Any, Menu], tuple[Order, list[Event]]]] = {
    AddItem: _add,
    RemoveLine: _remove,
    ModifyLine: _modify,
    SetQuantity: _set_quantity,
    SetSize: _set_size,
    FillSlot: _fill_slot,
    ReplaceItem: _replace,
    Undo: _undo,
    ClearOrder: _clear,
    Done: _done_or_confirm,
    Affirm: _affirm,
    Deny: _deny,
    Confirm: _confirm,
    Cancel: _cancel,
    Handoff: _handoff,
    Unplaced: _unplaced,
    CannotHandle: _cannot_handle,
}
