"""The SLM prompt for one call: the span plus only the menu context it needs.

The prompt is plain text, a few dozen tokens, the same at training and at inference time::

    item: cheeseburger
    options: onions pickles mayo ketchup tomato lettuce american_cheese bacon
    sizes: small medium large
    say: no onions and go easy on the mayo
    do:

``options`` lists the item's options that look most like the span (fuzzy retrieval over names and
aliases), at most :data:`MAX_OPTIONS`, so the prompt stays short for big menus; the grammar still allows
every option of the item. A reference call ("make the second one a large") lists the order's lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from orderline.core.text import normalize
from orderline.menu.schema import Item, Menu, ModifierOption

MAX_OPTIONS = 8
ANSWER_CUE = "do:"


@dataclass(frozen=True)
class PromptParts:
    """Everything a prompt is made of, kept so tests and training data can be checked."""

    say: str
    item: str | None
    lines: tuple[str, ...]
    options: tuple[str, ...]
    sizes: tuple[str, ...]

    def render(self) -> str:
        rows = []
        if self.item:
            rows.append(f"item: {self.item}")
        if self.lines:
            rows.append("lines: " + " | ".join(f"{k} {name}" for k, name in enumerate(self.lines, 1)))
        rows.append("options: " + (" ".join(self.options) or "-"))
        if self.sizes:
            rows.append("sizes: " + " ".join(self.sizes))
        rows.append(f"say: {self.say}")
        rows.append(ANSWER_CUE)
        return "\n".join(rows)


def candidate_options(menu: Menu, items: list[Item], say: str, limit: int = MAX_OPTIONS) -> tuple[str, ...]:
    """Option ids of ``items`` ranked by how much they look like ``say``.

    Ties go to options the item comes with ("sauce on the side" on a burger that comes with barn sauce
    means that sauce), then to menu order.
    """
    words = normalize(say)
    text = " ".join(words)
    scored: dict[str, tuple[float, float]] = {}
    order: dict[str, int] = {}
    defaults: set[str] = set()
    for item in items:
        for group in menu.groups_for(item):
            for option in group.options:
                best = option_likeness(option, words, text)
                scored[option.id] = max(best, scored.get(option.id, (0.0, 0.0)))
                order.setdefault(option.id, len(order))
                if option.default:
                    defaults.add(option.id)
    ranked = sorted(scored, key=lambda o: (-scored[o][0], o not in defaults, -scored[o][1], order[o]))
    return tuple(ranked[:limit])


def build_prompt(menu: Menu, say: str, item: Item | None = None, lines: tuple[Item, ...] = ()) -> PromptParts:
    """The prompt for a span about ``item`` (a new line) or about existing ``lines``."""
    items = [item] if item is not None else list(lines)
    sizes: dict[str, None] = {}
    for it in items:
        sizes.update(dict.fromkeys(it.sizes))
    return PromptParts(
        say=" ".join(normalize(say)),
        item=item.name.lower() if item is not None else None,
        lines=tuple(it.name.lower() for it in lines),
        options=candidate_options(menu, items, say),
        sizes=tuple(sizes),
    )


FEW_SHOT = (
    (
        "item: cheeseburger\noptions: onions pickles mayo ketchup\nsay: no onions and light mayo",
        "-onions +mayo=light",
    ),
    (
        "item: chicken sandwich\noptions: ranch pickles lettuce bacon\nsay: ranch on the side extra pickles",
        "+ranch@side +pickles=extra",
    ),
    (
        "item: latte\noptions: oat_milk vanilla extra_shot\nsizes: small medium large\nsay: large with oat milk",
        "+oat_milk size=large",
    ),
    ("item: pizza\noptions: mushrooms olives peppers\nsay: hold the olives", "-olives"),
    (
        "lines: 1 burger | 2 fries\noptions: onions cheese\nsizes: small medium large\nsay: make the second one a large",
        "line=2 size=large",
    ),
    ("item: fries\noptions: salt ketchup\nsay: thats all", "none"),
)


def few_shot_prefix() -> str:
    """A fixed prompt prefix teaching the DSL by example, for a base model with no adapter.

    It is the same for every call, so the local backend computes its KV cache once.
    """
    head = "Turn what the customer says into order edits. -x removes x, +x adds x, =light/=extra, @side.\n\n"
    return head + "".join(f"{p}\n{ANSWER_CUE} {a}\n\n" for p, a in FEW_SHOT)


def likeness(form: str, words: tuple[str, ...], text: str) -> tuple[float, float]:
    """(share of the option's words heard in the span, character overlap) — compared in that order.

    "no onions" ranks ``onions`` (1 of 1 words) above ``grilled onions`` (1 of 2); "sauce on the side"
    ties every sauce at 1 of 2, and the tie goes to the sauce the item comes with.
    """
    if not text:
        return (0.0, 0.0)
    parts = form.split()
    heard = sum(1 for p in parts if any(fuzz.ratio(p, w) >= 80 for w in words))
    return (round(heard / len(parts), 2), fuzz.partial_ratio(form, text))


def option_forms(option: ModifierOption) -> set[str]:
    """How an option may be said: its name, its id in words, its aliases (lower case)."""
    return {option.name.lower(), option.id.replace("_", " "), *(a.lower() for a in option.aliases)}


def option_likeness(option: ModifierOption, words: tuple[str, ...], text: str) -> tuple[float, float]:
    """:func:`likeness` of the option's best-heard form."""
    return max(likeness(form, words, text) for form in option_forms(option))
