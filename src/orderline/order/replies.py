"""Deterministic reply templates: confirm each change, ask one question at a time, read back."""

from __future__ import annotations

from orderline.core.events import (
    ChangeRequested,
    ClarificationNeeded,
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
from orderline.menu.schema import Menu
from orderline.order.clarify import first_missing
from orderline.order.describe import article, describe_line, join_words
from orderline.order.pricing import money, totals
from orderline.order.state import DialogState, OpenQuestion, Order

_REJECTIONS: dict[RejectReason, str] = {
    RejectReason.UNKNOWN_ITEM: "Sorry, we don't have that on our menu.",
    RejectReason.UNAVAILABLE: "Sorry, {detail} is not available right now.",
    RejectReason.NOT_IN_DAYPART: "Sorry, {detail} is not served at this time of day.",
    RejectReason.UNKNOWN_LINE: "Sorry, I couldn't find that in your order.",
    RejectReason.UNKNOWN_SIZE: "Sorry, we don't have {detail}.",
    RejectReason.UNKNOWN_OPTION: "Sorry, we can't do {detail}.",
    RejectReason.TOO_MANY_CHOICES: "Sorry, you can choose {detail}.",
    RejectReason.QUANTITY_CAP: "Sorry, I can only put {detail} on one order.",
    RejectReason.LINE_CAP: "Sorry, that order is too large for the lane; I can take {detail}.",
    RejectReason.UNKNOWN_SLOT: "Sorry, {detail} is not one of the choices.",
    RejectReason.NOTHING_TO_UNDO: "There's nothing to undo.",
    RejectReason.EMPTY_ORDER: "Your order is empty so far. What can I get for you?",
    RejectReason.ORDER_CLOSED: "This order is already {detail}.",
    RejectReason.NOT_UNDERSTOOD: "Sorry, I didn't catch that.",
    RejectReason.NOT_APPLICABLE: "",
}


def _option_names(ids: tuple[str, ...], menu: Menu, group: str | None = None) -> list[str]:
    names: list[str] = []
    for option_id in ids:
        if group is not None and (g := menu.group_index.get(group)) is not None:
            option = g.option(option_id)
            names.append(option.name if option is not None else option_id)
        elif (item := menu.item(option_id)) is not None:
            names.append(item.name)
        else:
            names.append(menu.size_name(option_id))
    return names


def question(event: ClarificationNeeded, order: Order, menu: Menu) -> str:
    """One clarifying question for one missing choice."""
    line = order.line(event.line)
    item = menu.item(line.item) if line is not None else None
    what = item.name if item is not None else "item"
    if event.choice == "size":
        return f"What size would you like for the {what}: {join_words(_option_names(event.options, menu), 'or')}?"
    if event.choice == "slot":
        slot = next((s for s in item.slots if s.id == event.target), None) if item is not None else None
        slot_name = slot.name if slot is not None else event.target
        names = join_words(_option_names(event.options[:6], menu), "or")
        return f"Which {slot_name} would you like with the {what}: {names}?"
    group = menu.group_index.get(event.target)
    names = join_words(_option_names(event.options[:6], menu, event.target), "or")
    return f"Which {group.name if group else event.target} would you like for the {what}: {names}?"


def readback(order: Order, menu: Menu) -> str:
    lines = [describe_line(line, menu) for line in order.lines]
    total = money(totals(order, menu).total_cents, menu.currency)
    return f"I have {join_words(lines)}. Your total is {total}."


RESUMED = "Sorry, we got cut off."


def greeting(order: Order, menu: Menu) -> str:
    """What the engine says when a stream opens: the menu's greeting, or, for a conversation resumed with
    an order already on it (another socket, another worker), where it stands, so the customer does not
    order again what is already rung up."""
    if not order.lines or order.state in (DialogState.SUBMITTED, DialogState.HANDED_OFF):
        return menu.greeting
    if order.state is DialogState.READBACK:
        return f"{RESUMED} {readback(order, menu)} Is that correct?"
    lines = join_words([describe_line(line, menu) for line in order.lines])
    missing = first_missing(order, menu) if order.state is DialogState.CLARIFYING else None
    ask = question(missing, order, menu) if missing is not None else "What else can I get you?"
    return f"{RESUMED} So far I have {lines}. {ask}"


def _event_text(event: Event, before: Order, after: Order, menu: Menu) -> str:
    if isinstance(event, LineAdded | LineChanged):
        line = after.line(event.line)
        return f"Okay, {describe_line(line, menu)}." if line is not None else ""
    if isinstance(event, LineRemoved):
        return f"Okay, I removed the {event.name}."
    if isinstance(event, Rejected):
        asked = _asked(after, event.detail) if event.reason is RejectReason.UNKNOWN_ITEM else None
        if asked is not None:
            return _off_menu_text(asked, menu)
        return _REJECTIONS[event.reason].format(detail=event.detail)
    if isinstance(event, UpsellOffered):
        return event.prompt
    if isinstance(event, ReadbackRequested):
        return f"{readback(after, menu)} Is that correct?"
    if isinstance(event, OrderSubmitted):
        return f"Thank you! Your total is {money(event.total_cents, menu.currency)}. Please pull forward."
    if isinstance(event, OrderCancelled):
        return "Okay, I've cancelled your order."
    if isinstance(event, HandedOff):
        return "Let me get a team member to help you."
    if isinstance(event, Undone):
        return "Okay, I undid that."
    if isinstance(event, Cleared):
        return "Okay, I've cleared your order."
    if isinstance(event, ChangeRequested):
        return "Sorry about that. What would you like to change?"
    if isinstance(event, QuestionRepeated):
        return "I still need one choice to finish that."
    if isinstance(event, ModifierUnplaced):
        return _unplaced_text(event, after, menu)
    if isinstance(event, NotUnderstood):
        return "Sorry, I didn't catch that. Could you say it again?"
    return ""


def _asked(order: Order, words: str) -> OpenQuestion | None:
    return next((q for q in order.asked if q.words == words and not q.options), None)


def _a(item_id: str, menu: Menu) -> str:
    item = menu.item(item_id)
    name = item.name if item is not None else item_id.replace("_", " ")
    plural = name.endswith("s") and not name.endswith("ss")  # "Fries", "Onion Rings"
    return name if plural else f"{article(name)} {name}"


def _off_menu_text(asked: OpenQuestion, menu: Menu) -> str:
    """ "Sorry, we don't have garlic knots. We do have pizzas, drinks and desserts." """
    text = f"Sorry, we don't have {asked.words}."
    offers = [_a(i, menu) for i in asked.suggestions]
    if asked.asks and offers:
        return f"{text} Would you like {join_words(offers, 'or')} instead?"
    if offers:
        return f"{text} We do have {join_words(offers)}."
    kinds = [c.replace("_", " ") for c in menu.categories]
    return f"{text} We do have {join_words(kinds)}." if kinds else text


def _not_understood_text(asked: OpenQuestion, menu: Menu) -> str:
    """ "Sorry, I didn't get 'a coat'. Did you mean a Coke?" """
    text = f"Sorry, I didn't get '{asked.words}'."
    if not asked.asks:
        return text
    if asked.suggestions:
        return f"{text} Did you mean {join_words([_a(i, menu) for i in asked.suggestions], 'or')}?"
    return f"{text} What was that?"


def _unplaced_text(event: ModifierUnplaced, order: Order, menu: Menu) -> str:
    if not event.lines and (asked := _asked(order, event.words)) is not None:
        return _not_understood_text(asked, menu)
    names: list[str] = []
    for line_id in event.lines:
        line = order.line(line_id)
        if line is not None and (text := describe_line(line, menu)) not in names:
            names.append(text)
    if len(names) == 1:
        return f"Should the {_item_name(order, event.lines[0], menu)} have {event.words}?"
    if names:
        return f"Which one gets {event.words}: {join_words(names, 'or')}?"
    return f"Sorry, I couldn't put {event.words} on anything in your order."


def _item_name(order: Order, line_id: int, menu: Menu) -> str:
    line = order.line(line_id)
    item = menu.item(line.item) if line is not None else None
    return item.name if item is not None else "item"


def plan_reply(before: Order, after: Order, events: tuple[Event, ...], menu: Menu) -> str:
    """The reply for one turn. At most one clarifying question; a prompt to continue when idle."""
    parts: list[str] = []
    ask: str | None = None
    last_readback = max((k for k, e in enumerate(events) if isinstance(e, ReadbackRequested)), default=-1)
    for k, event in enumerate(events):
        if isinstance(event, ClarificationNeeded):
            ask = ask or question(event, after, menu)
            continue
        if isinstance(event, ReadbackRequested) and k != last_readback:
            continue  # several changes in one turn: read the order back once, as it ends up
        text = _event_text(event, before, after, menu)
        if text and text not in parts:
            parts.append(text)
    if ask is not None and after.state is DialogState.CLARIFYING:
        parts.append(ask)  # one question, after the confirmations
        if any(isinstance(e, QuestionRepeated) for e in events):
            parts.append("Or say no thanks to leave it off.")
    elif after.state is DialogState.GREETING and not parts:
        parts.append(menu.greeting)
    elif after.state is DialogState.TAKING_ORDER and not (parts and parts[-1].endswith("?")):
        parts.append("Anything else?")
    return " ".join(parts)
