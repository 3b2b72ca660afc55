"""The menu lexicon: every way a customer may name an item, option or size, as token tuples.

Built once per menu. Explicit names, aliases and pronunciations come first; generated variants
(singular/plural, words run together) never shadow an explicit phrase of another entity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from orderline.core.text import normalize_phrase
from orderline.menu.schema import Menu


class EntityKind(StrEnum):
    ITEM = "item"
    OPTION = "option"
    SIZE = "size"


@dataclass(frozen=True, slots=True)
class Entry:
    kind: EntityKind
    id: str
    explicit: bool = True


@dataclass(slots=True)
class MenuLexicon:
    """Phrase (token tuple) -> entries. An option id may belong to groups of several items."""

    phrases: dict[tuple[str, ...], tuple[Entry, ...]] = field(default_factory=dict)

    def add(self, phrase: tuple[str, ...], entry: Entry) -> None:
        if not phrase:
            return
        current = self.phrases.get(phrase, ())
        if any(e.kind == entry.kind and e.id == entry.id for e in current):
            return
        if not entry.explicit and any(e.explicit for e in current):
            return  # a generated variant never shadows a phrase someone wrote down
        if entry.explicit:
            current = tuple(e for e in current if e.explicit)
        self.phrases[phrase] = (*current, entry)

    @property
    def max_len(self) -> int:
        return max((len(p) for p in self.phrases), default=1)


_SIBILANT = ("s", "x", "z", "ch", "sh")


def inflections(word: str) -> set[str]:
    """Simple English singular/plural variants of one word (``tomato`` -> ``tomatoes``, ...)."""
    if len(word) < 3 or not word.isalpha():
        return set()
    out: set[str] = set()
    if word.endswith("ies"):
        out.add(word[:-3] + "y")
    elif word.endswith("es") and word[:-2].endswith((*_SIBILANT, "o")):
        out.update({word[:-2], word[:-1]})
    elif word.endswith("s") and not word.endswith("ss"):
        out.add(word[:-1])
    else:
        if word.endswith("y") and word[-2] not in "aeiou":
            out.add(word[:-1] + "ies")
        elif word.endswith((*_SIBILANT, "o")):
            out.update({word + "es", word + "s"})
        else:
            out.add(word + "s")
    return out


def variants(phrase: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Generated surface forms: inflected last word, and words run together or hyphen-split."""
    out: set[tuple[str, ...]] = set()
    if not phrase:
        return out
    for last in inflections(phrase[-1]):
        out.add((*phrase[:-1], last))
    if len(phrase) > 1:
        joined = "".join(phrase)
        out.add((joined,))
    return out - {phrase}


def _surface_forms(name: str, aliases: Iterable[str]) -> list[tuple[str, ...]]:
    forms = [normalize_phrase(name)]
    forms.extend(normalize_phrase(a) for a in aliases)
    return [f for f in forms if f]


def build_lexicon(menu: Menu) -> MenuLexicon:
    """Every surface form of every item, modifier option and size on the menu."""
    lex = MenuLexicon()
    entities: list[tuple[Entry, list[tuple[str, ...]]]] = []
    for item in menu.items:
        entities.append(
            (
                Entry(EntityKind.ITEM, item.id),
                _surface_forms(item.name, (*item.aliases, *item.pronunciations)),
            )
        )
    for group in menu.modifier_groups:
        for option in group.options:
            forms = _surface_forms(option.name, (*option.aliases, *option.pronunciations))
            entities.append((Entry(EntityKind.OPTION, option.id), forms))
    for size in menu.sizes:
        entities.append((Entry(EntityKind.SIZE, size.id), _surface_forms(size.name, size.aliases)))
    for entry, forms in entities:
        for form in forms:
            lex.add(form, entry)
    for entry, forms in entities:
        generated = Entry(entry.kind, entry.id, explicit=False)
        for form in forms:
            for variant in variants(form):
                lex.add(variant, generated)
    return lex
