"""Accounting for every word: tier 1's coverage report, the modifier words no command carries, and the
content words nothing on the menu explains (each becomes an :class:`~orderline.core.commands.Unplaced`
question or refusal, never a silent drop).

Words nothing explains are of two sorts. A request for food or drink the menu does not have ("garlic
knots", "a root beer") is an *off-menu* phrase: its option words are part of the name ("garlic" in
"garlic knots" is not a topping), so they are taken out before the frames are built, and the machine
answers "we don't have garlic knots" with the nearest thing the menu has. Any other unknown word in the
place of an item ("a cheeseburger and a coat": ASR heard "coat" for "coke") is asked about.
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
from orderline.menu.nearest import is_food, spelled_like
from orderline.menu.schema import Menu
from orderline.nlu.coverage import Coverage, Span
from orderline.nlu.tagger import Tag, uncovered
from orderline.nlu.vocab import Kind

_STOPS = (Handoff, Cancel)


def _option_only(tag: Tag) -> bool:
    return tag.has(Kind.OPTION) and not tag.has(Kind.ITEM)


def _count_before(raw: list[Tag], start: int) -> Tag | None:
    """The quantity ("a", "an", "two") said right before position ``start``, if any."""
    return next((t for t in raw if t.end == start and t.kind is Kind.QTY), None)


def off_menu_spans(tokens: tuple[str, ...], raw: list[Tag]) -> list[tuple[int, int]]:
    """Phrases that ask for food or drink by a name the menu does not know ("garlic knots",
    "mozzarella sticks", "a root beer"): unknown words naming a kind of food, with the option words
    just before them (part of the name) and the count said before it. Spans of token positions."""
    spans: list[tuple[int, int]] = []
    for a, b in uncovered(tokens, raw):
        if not is_food(" ".join(tokens[a:b])):
            continue
        start = a
        while (prev := next((t for t in raw if t.end == start and _option_only(t)), None)) is not None:
            start = prev.start  # "garlic knots", "avocado toast": the option is part of the name
        count = _count_before(raw, start)
        spans.append((count.start if count is not None else start, b))
    return spans


def without_spans(raw: list[Tag], spans: list[tuple[int, int]]) -> list[Tag]:
    """The tags outside the given spans."""
    return [t for t in raw if not any(a <= t.start and t.end <= b for a, b in spans)]


def _menu_words(menu: Menu) -> frozenset[str]:
    """Words that name the menu's own structure ("a drink", "the side", "toppings"): not unknown."""
    words: set[str] = set()
    names = [*menu.categories, *(g.name for g in menu.modifier_groups)]
    names += [x for i in menu.items for s in i.slots for x in (s.id, s.name)]
    for name in names:
        for w in name.lower().replace("_", " ").replace("-", " ").split():
            words.update({w, w.rstrip("s")})
    return frozenset(words)


def unexplained_words(
    menu: Menu,
    tokens: tuple[str, ...],
    raw: list[Tag],
    tags: list[Tag],
    commands: Sequence[Command],
    off_menu: list[tuple[int, int]],
) -> list[Command]:
    """Commands for the content words nothing explains: one ``Unplaced`` without options per off-menu
    phrase and per unknown word said in the place of an item ("a coat"). Other unknown words (a
    preamble, "plain", a name) are left to the coverage report and the SLM call points.

    When nothing else was understood, an unknown word that sounds like no menu item stays a
    ``CannotHandle`` (the turn counts as not understood); otherwise the ``CannotHandle`` goes, since the
    reply now says what was not understood.
    """
    if any(isinstance(c, Handoff | Cancel) for c in commands):
        return list(commands)
    if any(t.kind is Kind.REPEAT for t in tags):
        return list(commands)  # "same again but chocolate": the leftover words chose the variant
    structure = _menu_words(menu)
    out: list[Command] = [Unplaced(words=" ".join(tokens[a:b])) for a, b in off_menu]
    understood = [c for c in commands if not isinstance(c, CannotHandle)]
    for a, b in uncovered(tokens, raw):
        if any(x <= a < y for x, y in off_menu) or b - a > 2:
            continue
        if all(w in structure or w.rstrip("s") in structure for w in tokens[a:b]):
            continue
        count = _count_before(raw, a)
        if count is None:
            continue
        words = " ".join(tokens[count.start : b])
        if not understood and not spelled_like(menu, words):
            continue
        out.append(Unplaced(words=words))
    found = [*commands, *out]
    if any(isinstance(c, Unplaced) for c in found):
        # the reply says what it did not get and asks about it: the turn is not a failure
        return [c for c in found if not isinstance(c, CannotHandle)]
    return found


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
    if any(isinstance(c, _STOPS) for c in commands):
        return []
    placed = _placed_options(commands)
    out: list[Command] = []
    spans: list[tuple[int, int]] = []
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
        elif words.split(" ", 1)[0] in ("and", "or", "but") and " " in words:
            words = words.split(" ", 1)[1]  # "and no onions" -> "no onions"
        out.append(Unplaced(words=words, options=options))
        spans.append((start, tag.end))
    return _food_names(tokens, tags, out, spans)


def _food_names(
    tokens: tuple[str, ...], tags: list[Tag], found: list[Command], spans: list[tuple[int, int]]
) -> list[Command]:
    """Option words no line took that, said together, name a food ("an avocado toast": avocado and
    toasted are options of other things): one off-menu request, not two stray modifiers."""
    out: list[Command] = []
    k = 0
    while k < len(found):
        j = k
        while j + 1 < len(found) and spans[j + 1][0] == spans[j][1]:
            j += 1
        start, end = spans[k][0], spans[j][1]
        words = " ".join(tokens[start:end])
        if j > k and is_food(words):
            count = next((t for t in tags if t.end == start and t.kind is Kind.QTY), None)
            out.append(Unplaced(words=" ".join(tokens[count.start if count else start : end])))
        else:
            out.extend(found[k : j + 1])
        k = j + 1
    return out


def coverage_of(
    tokens: tuple[str, ...], raw: list[Tag], tags: list[Tag], off_menu: list[tuple[int, int]] | None = None
) -> Coverage:
    """Which words tier 1 explained, which it guessed, and how sure it is."""
    unknown = tuple(Span(start=a, end=b, text=" ".join(tokens[a:b])) for a, b in uncovered(tokens, raw))
    off = tuple(Span(start=a, end=b, text=" ".join(tokens[a:b])) for a, b in off_menu or ())
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
        off_menu=off,
    )
