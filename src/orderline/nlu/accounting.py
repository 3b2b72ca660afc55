"""Accounting for every word: tier 1's coverage report, and the modifier words no command carries
(those become an :class:`~orderline.core.commands.Unplaced` question, never a silent drop).
"""

from __future__ import annotations

from collections.abc import Sequence

from orderline.core.commands import (
    AddItem,
    Cancel,
    CannotHandle,
    Command,
    Handoff,
    ModifyLine,
    ReplaceItem,
    Unplaced,
)
from orderline.nlu.coverage import Coverage, Span
from orderline.nlu.tagger import Tag, uncovered
from orderline.nlu.vocab import Kind


def _placed_options(commands: Sequence[Command]) -> set[str]:
    placed: set[str] = set()
    for command in commands:
        if isinstance(command, AddItem | ModifyLine | ReplaceItem):
            placed.update(m.option for m in command.modifiers)
        if isinstance(command, AddItem):
            placed.update(m.option for s in command.slots for m in s.modifiers)
    return placed


def unplaced_modifiers(
    tokens: tuple[str, ...], tags: list[Tag], commands: Sequence[Command]
) -> list[Command]:
    """Modifier words no command carries: asked about, never dropped without a word.

    Args:
        tokens: the normalised utterance.
        tags: the resolved tags of the utterance.
        commands: what tier 1 made of it.

    Returns:
        One ``Unplaced`` command per option mention that no command carries.
    """
    if any(isinstance(c, CannotHandle | Handoff | Cancel) for c in commands):
        return []
    placed = _placed_options(commands)
    out: list[Command] = []
    for k, tag in enumerate(tags):
        if tag.kind is not Kind.OPTION:
            continue
        options = tuple(str(s.value) for s in tag.senses if s.kind is Kind.OPTION)
        if not options or placed.intersection(options):
            continue
        start, j = tag.start, k - 1
        while j >= 0 and tags[j].kind in (Kind.NEG, Kind.LEVEL) and tags[j].end == start:
            start = tags[j].start
            j -= 1
        words = " ".join(tokens[start : tag.end])
        if start < tag.start and tags[j + 1].text in ("with no", "without", "with out"):
            words = "no " + " ".join(tokens[tag.start : tag.end])
        out.append(Unplaced(words=words, options=options))
    return out


def coverage_of(tokens: tuple[str, ...], raw: list[Tag], tags: list[Tag]) -> Coverage:
    """Which words tier 1 explained, which it guessed, and how sure it is."""
    unknown = tuple(Span(start=a, end=b, text=" ".join(tokens[a:b])) for a, b in uncovered(tokens, raw))
    fuzzy = tuple(Span(start=t.start, end=t.end, text=t.text) for t in raw if t.confidence < 1.0)
    mods: list[Span] = []
    for k, tag in enumerate(tags):
        if tag.kind is Kind.OPTION:
            start = tag.start
            j = k - 1
            while j >= 0 and tags[j].kind in (Kind.NEG, Kind.LEVEL, Kind.CONJ) and tags[j].end == start:
                start = tags[j].start
                j -= 1
            mods.append(Span(start=start, end=tag.end, text=" ".join(tokens[start : tag.end])))
    confidence = min((t.confidence for t in raw), default=1.0)
    n_unknown = sum(s.end - s.start for s in unknown)
    if n_unknown:
        confidence *= max(0.3, 1.0 - 0.2 * n_unknown)
    references = any(t.kind in (Kind.REF, Kind.ORD, Kind.REFPREP, Kind.CHANGE) for t in tags)
    return Coverage(
        tokens=tokens,
        unknown=unknown,
        fuzzy=fuzzy,
        modifier_spans=tuple(mods),
        references=references,
        confidence=round(confidence, 3),
    )
