"""What the menu has nearest to words it does not know: "garlic knots", "a milkshake", "a coat".

A crew member who hears an order for something the restaurant does not sell says so and names the
nearest thing it does sell; one who mishears asks "did you mean a Coke?". Both need the same two
facts about the words: do they name a kind of food or drink at all, and which menu items are closest
(spelled alike, sharing a word, or of the same kind). This module answers them from the menu and a
small menu-independent vocabulary of kinds of food; it is pure (no fuzzy-matching library, no I/O), so
the state machine and the reply planner may use it.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from orderline.core.text import normalize_phrase
from orderline.menu.schema import Item, Menu

SPELLING_MIN = 0.75
"""Similarity (difflib ratio) from which unknown words count as a mis-hearing of an item name: "coat"
and "coke" score 0.75, "coat" and "cola" 0.5."""

# Kinds of food and drink customers ask for, grouped by what a crew member offers instead. A word of
# an unknown request that is in a group makes the request "food we may not sell"; items whose names
# share a group with it are the nearest things the menu has.
FOOD_KINDS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "shake shakes milkshake milkshakes malt malts smoothie smoothies frappe frappes frappuccino "
        "frappuccinos slushie slushies slush freeze float floats",
        "soda sodas pop cola coke pepsi sprite beer beers rootbeer ale lemonade fanta dew up pellegrino "
        "perrier sparkling",
        "juice juices",
        "coffee coffees espresso latte lattes cappuccino americano mocha macchiato brew",
        "tea teas chai matcha",
        "water waters",
        "wine wines cocktail cocktails",
        "wings wing nuggets nugget strips tenders tender",
        "fries fry tots chips rings knots sticks breadsticks bread nachos hashbrowns browns",
        "sandwich sandwiches sub subs hoagie hoagies wrap wraps panini paninis burger burgers hotdog "
        "hotdogs dog dogs taco tacos burrito burritos quesadilla melt melts toast",
        "pie pies cake cakes cheesecake cookie cookies brownie brownies sundae sundaes cone cones "
        "icecream donut donuts doughnut doughnuts muffin muffins scone scones croissant croissants "
        "pastry pastries danish roll rolls bagel bagels dessert desserts",
        "salad salads soup soups",
        "pizza pizzas calzone calzones stromboli slice slices",
        "pancakes pancake waffle waffles omelette omelet eggs oatmeal",
    )
)
_FOOD_WORDS = frozenset(w for group in FOOD_KINDS for w in group)
_DRINK_KINDS = frozenset(range(7))  # the first seven groups are drinks
_SWEET_KINDS = frozenset({10})
_ARTICLES = frozenset({"a", "an", "the", "some", "any", "of", "order", "side", "my", "your"})


def _stem(word: str) -> str:
    """ "knots" -> "knot", "sandwiches" -> "sandwich", "fries" stays: enough to compare two words."""
    if word.endswith("ches") or word.endswith("shes"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _content(words: str) -> tuple[str, ...]:
    return tuple(w for w in normalize_phrase(words) if w not in _ARTICLES)


def is_food(words: str) -> bool:
    """Do the words name a kind of food or drink ("garlic knots", "a root beer", "smoothies")?"""
    content = _content(words)
    joined = "".join(content)
    return any(w in _FOOD_WORDS or _stem(w) in _FOOD_WORDS for w in content) or joined in _FOOD_WORDS


def _kinds(words: tuple[str, ...]) -> set[int]:
    found: set[int] = set()
    for k, group in enumerate(FOOD_KINDS):
        if any(w in group or _stem(w) in group for w in words) or "".join(words) in group:
            found.add(k)
    return found


def _forms(item: Item) -> tuple[tuple[str, ...], ...]:
    return tuple(normalize_phrase(f) for f in (item.name, *item.aliases, *item.pronunciations))


def spelled_like(menu: Menu, words: str) -> tuple[str, ...]:
    """Items whose name (or an alias, or a listed mis-hearing) is spelled like the words: "a coat" ->
    Coke. Best first; empty when nothing is close."""
    content = " ".join(_content(words))
    if not content:
        return ()
    scored: list[tuple[float, int, str]] = []
    for n, item in enumerate(menu.items):
        best = max(SequenceMatcher(None, content, " ".join(f)).ratio() for f in _forms(item))
        if best >= SPELLING_MIN:
            scored.append((-best, n, item.id))
    return tuple(item_id for _, _, item_id in sorted(scored))


def nearest_items(menu: Menu, words: str, limit: int = 2) -> tuple[str, ...]:
    """The menu items nearest to words the menu does not have, best first (at most ``limit``).

    Spelled alike first (a mis-hearing), then items sharing a word with the request ("fish sandwich"
    -> the chicken sandwiches), then items of the same kind ("a milkshake" -> a frappe, "root beer" ->
    the sodas). Combos are left out (the item they are built on is nearer); unavailable items too.
    """
    content = _content(words)
    if not content:
        return ()
    stems = {_stem(w) for w in content}
    head = _stem(content[-1])  # "english muffin" is a muffin before it is English
    kinds = _kinds(content)
    spelled = spelled_like(menu, words)
    shared_head: list[str] = []
    shared: list[str] = []
    same_kind: list[str] = []
    for item in menu.items:
        if item.is_combo or not item.available or item.id in spelled:
            continue
        forms = _forms(item)
        if any(_stem(w) == head for f in forms for w in f):
            shared_head.append(item.id)
        elif any(_stem(w) in stems for f in forms for w in f):
            shared.append(item.id)
        elif kinds and any(_kinds(f) & kinds for f in forms):
            same_kind.append(item.id)
    ranked = [i for i in spelled if (it := menu.item(i)) is not None and it.available]
    found = [*ranked, *shared_head, *shared, *same_kind]
    if not found and kinds:
        # nothing of that kind: the menu's drinks for a drink, its desserts for a sweet
        wanted = "drink" if kinds & _DRINK_KINDS else "dessert" if kinds & _SWEET_KINDS else None
        found = [
            i.id
            for i in menu.items
            if wanted is not None and wanted in i.category and i.available and not i.is_combo
        ]
    return tuple(found[:limit])


__all__ = ["FOOD_KINDS", "SPELLING_MIN", "is_food", "nearest_items", "spelled_like"]
