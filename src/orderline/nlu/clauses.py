"""Splitting an utterance into clauses at verbs, and ordinal line lookups, for the tier-1 matcher."""

from __future__ import annotations

from orderline.nlu.frames import Frame
from orderline.nlu.tagger import Sense, Tag
from orderline.nlu.vocab import Kind
from orderline.order.state import Order, OrderLine

VERBS = (Kind.REMOVE, Kind.CHANGE, Kind.CORRECT)
CLAUSE_END_POS = frozenset({"add", "and add", "plus", "also", "and also", "add on", "put"})
"""Words that start a new ordering clause after a verb clause: "take off the ham and put bacon on"."""


def nth_line(order: Order, ordinal: int) -> OrderLine | None:
    """The line an ordinal names: 1-based, -1 the last, -2 the one before it."""
    if not order.lines:
        return None
    if ordinal == -1:
        return order.lines[-1]
    if ordinal == -2:
        return order.lines[-2] if len(order.lines) > 1 else None
    return order.lines[ordinal - 1] if 0 < ordinal <= len(order.lines) else None


def more_after(frames: list[Frame], frame: Frame) -> bool:
    """Does any frame after ``frame`` carry a change (item, size, modifiers or a quantity)?"""
    k = frames.index(frame)
    return any(f.head or f.size or f.mods or (f.qty and not f.qty_weak) for f in frames[k + 1 :])


def clauses(tags: list[Tag]) -> list[tuple[Tag | None, list[Tag]]]:
    """Split at verbs: "remove the fries and add a coke" -> (remove, [fries]), (None, [coke])."""
    clauses: list[tuple[Tag | None, list[Tag]]] = [(None, [])]
    for tag in tags:
        if tag.kind in VERBS:
            clauses.append((tag, []))
        elif tag.kind is Kind.POS and tag.text in CLAUSE_END_POS and clauses[-1][0] is not None:
            clauses.append((None, [tag]))
        else:
            clauses[-1][1].append(tag)
    out: list[tuple[Tag | None, list[Tag]]] = []
    for verb, body in clauses:
        if verb is None and any(
            t.kind is Kind.REFPREP and t.text.startswith(("off", "out of")) for t in body
        ):
            # "take the pickles off the burger": the particle makes it a removal
            verb = next(t for t in body if t.kind is Kind.REFPREP and t.text.startswith(("off", "out of")))
            verb = Tag((Sense(Kind.REMOVE, "off"),), verb.start, verb.end, verb.text)
        if verb is not None or body:
            out.append((verb, body))
    return out
