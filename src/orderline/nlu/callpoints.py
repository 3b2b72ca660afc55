"""SLM call points: where tier 1's coverage report says context is needed, and what each call sees.

A call is made only when tier 1 left words unexplained or matched them only approximately:

* **modifiers / unknown words next to an item** — the span from that item's mention to the next one
  ("a cheeseburger go easy on the mayonaise and hold them pickles") refines that new line; unknown
  words before the first item are a request preamble ("i wish to place an order for") and call nothing;
* **references** — no item is named, the words point at existing lines (or tier 1 could not act at
  all) and the order has lines ("swap the second thingy to a small", "the first one with out onions"):
  the call sees the order's lines and its answer replaces tier 1's guess.

Everything tier 1 explained exactly stays deterministic and costs no model call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orderline.core.commands import AddItem, CannotHandle, Command
from orderline.menu.schema import Item, Menu
from orderline.nlu.coverage import Span, Understanding
from orderline.nlu.frames import resolve_senses
from orderline.nlu.tagger import Tag, Tagger
from orderline.nlu.vocab import Kind
from orderline.order.state import Order, OrderLine

MAX_REF_LINES = 4


class CallKind(StrEnum):
    MODIFIERS = "modifiers"
    REFERENCE = "reference"


@dataclass(frozen=True)
class CallPoint:
    kind: CallKind
    say: str
    reason: str
    item: Item | None = None
    command_index: int | None = None
    lines: tuple[OrderLine, ...] = ()


def find_call_points(
    menu: Menu, tagger: Tagger, understanding: Understanding, order: Order
) -> list[CallPoint]:
    """The calls an utterance needs (often none)."""
    cov = understanding.coverage
    off = [(s.start, s.end) for s in cov.off_menu]  # "we don't have garlic knots": nothing to ask
    trouble = [s for s in (*cov.unknown, *cov.fuzzy) if not any(a <= s.start < b for a, b in off)]
    if not trouble:
        return []
    tokens = cov.tokens
    raw = tagger.tag(tokens)
    tags = resolve_senses(raw, menu)
    mentions = [(t.start, str(t.value)) for t in tags if t.kind is Kind.ITEM]
    commands = understanding.commands
    if not mentions:
        if order.lines and (cov.references or (_stuck(commands) and not _named(trouble, raw))):
            lines = order.lines[-MAX_REF_LINES:]
            return [CallPoint(CallKind.REFERENCE, " ".join(tokens), _why(trouble), lines=tuple(lines))]
        return []
    adds = [k for k, c in enumerate(commands) if isinstance(c, AddItem)]
    points: list[CallPoint] = []
    used: set[int] = set()
    for n, (start, item_id) in enumerate(mentions):
        end = mentions[n + 1][0] if n + 1 < len(mentions) else len(tokens)
        begin = start  # words before the first item are a preamble ("i wish to place an order for")
        inside = [s for s in trouble if begin <= s.start < end]
        k = _command_for(commands, adds, used, item_id, menu)
        if k is None:
            continue
        used.add(k)
        if not inside:
            continue
        command = commands[k]
        assert isinstance(command, AddItem)
        item = menu.item(command.item)
        if item is None or not menu.groups_for(item):
            continue
        say = " ".join(tokens[begin:end])
        points.append(CallPoint(CallKind.MODIFIERS, say, _why(inside), item=item, command_index=k))
    return points


def _command_for(
    commands: tuple[Command, ...], adds: list[int], used: set[int], item_id: str, menu: Menu
) -> int | None:
    """The AddItem a mention produced: the same item, or a combo whose main it is (slot items have none)."""
    for k in adds:
        c = commands[k]
        assert isinstance(c, AddItem)
        combo = menu.item(c.item)
        main = combo.main if combo is not None else None
        if k not in used and item_id in (c.item, main):
            return k
    return None


def _named(trouble: list[Span], tags: list[Tag]) -> bool:
    """Every unknown word stands where an item would ("and a flurble", "two zorbas"): the customer asked
    for a thing by a name the menu does not know. That is not a change to an earlier line, so the model is
    not asked to guess one (the reply says what was not understood)."""
    return all(any(t.kind is Kind.QTY and t.end == s.start for t in tags) for s in trouble)


def _stuck(commands: tuple[Command, ...]) -> bool:
    return not commands or all(isinstance(c, CannotHandle) for c in commands)


def _why(spans: list[Span]) -> str:
    return "uncovered: " + ", ".join(s.text for s in spans)
