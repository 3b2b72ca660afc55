"""What the engine expects to hear: ASR biasing words, the pending question's choices, and whether the
words so far make a whole turn (used to end a turn sooner)."""

from __future__ import annotations

from orderline.core.text import normalize, normalize_phrase
from orderline.menu.lexicon import build_lexicon
from orderline.menu.schema import Menu
from orderline.nlu.coverage import Understanding
from orderline.order.clarify import first_missing
from orderline.order.state import DialogState, Order


def menu_vocabulary(menu: Menu) -> tuple[str, ...]:
    """Menu phrases for ASR biasing, most useful first.

    Taken from the menu lexicon (what tier 1 recognises), ordered: size names, item names, option names,
    then their aliases. Pronunciations are left out: they are mis-hearings, and a prompt would teach the
    recogniser to produce them.
    """
    lexicon = build_lexicon(menu)
    groups = list(menu.modifier_groups)
    names: list[str] = [s.name for s in menu.sizes]
    names += [i.name for i in menu.items if i.available]
    names += [o.name for g in groups for o in g.options if o.available]
    aliases: list[str] = [a for s in menu.sizes for a in s.aliases]
    aliases += [a for i in menu.items if i.available for a in i.aliases]
    aliases += [a for g in groups for o in g.options if o.available for a in o.aliases]
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for phrase in (*names, *aliases):
        tokens = normalize_phrase(phrase)
        if tokens and tokens not in seen and tokens in lexicon.phrases:
            seen.add(tokens)
            out.append(" ".join(tokens))
    return tuple(out)


def expected_answers(order: Order, menu: Menu) -> tuple[str, ...]:
    """Names the customer is likely to say next: the choices of the pending clarifying question."""
    if order.state is not DialogState.CLARIFYING:
        return ()
    missing = first_missing(order, menu)
    if missing is None:
        return ()
    if missing.choice == "size":
        return tuple(menu.size_name(s) for s in missing.options)
    if missing.choice == "slot":
        return tuple(i.name for c in missing.options if (i := menu.item(c)) is not None)
    group = menu.group_index.get(missing.target)
    if group is None:
        return ()
    return tuple(o.name for o in group.options if o.id in missing.options)


DANGLING = frozenset(
    (
        *("and", "or", "plus", "also", "but", "with", "without", "of", "to", "on"),
        *("a", "an", "the", "some", "no", "extra", "add", "hold"),
        *("uh", "um", "er", "like", "get", "have", "want", "can"),
    )
)
"""Last words after which a customer is still mid-sentence ("a large pizza with ...")."""


def sounds_complete(understanding: Understanding) -> bool:
    """Whether the words so far make a whole turn: tier 1 explained every content word, they gave at least
    one command, and they do not stop on a word that needs more ("and", "with", "no", "uh")."""
    coverage = understanding.coverage
    if not understanding.commands or not coverage.complete:
        return False
    tokens = coverage.tokens or normalize(understanding.text)
    return bool(tokens) and tokens[-1] not in DANGLING


def sounds_unfinished(text: str) -> bool:
    """Whether the words stop where a customer is still mid-sentence ("a cheeseburger and", "uh")."""
    tokens = normalize(text)
    return not tokens or tokens[-1] in DANGLING
