"""A deterministic check on the model's option choices: the option it names must be the one heard.

The model sometimes names a neighbour of what was said: "no onions" -> ``-grilled_onions``. When the
option it named is only partly heard (1 of its 2 words) and another option of the same item, sharing
that heard word, is heard better (all its words), the better-heard option replaces it; on a tie, the
option the item comes with wins ("sauce on the side" on a burger that comes with barn sauce). Options
the model named from a paraphrase (no word heard: "make it spicy" -> jalapenos) are left alone.
"""

from __future__ import annotations

from orderline.core.commands import Level, ModifierSpec
from orderline.core.text import normalize
from orderline.menu.schema import Item, Menu, ModifierOption
from orderline.nlu.dsl import DslOps
from orderline.nlu.prompt import option_forms, option_likeness


def ground(ops: DslOps, menu: Menu, items: list[Item], say: str) -> DslOps:
    words = normalize(say)
    text = " ".join(words)
    options: dict[str, ModifierOption] = {}
    for item in items:
        for group in menu.groups_for(item):
            for option in group.options:
                options.setdefault(option.id, option)
    if not options or not ops.modifiers:
        return ops

    def heard(o: ModifierOption) -> tuple[float, float]:
        return option_likeness(o, words, text)

    def vocab(o: ModifierOption) -> set[str]:
        return {w for f in option_forms(o) for w in f.split()}

    named = {m.option for m in ops.modifiers}
    out: list[ModifierSpec] = []
    for spec in ops.modifiers:
        found = options.get(spec.option)
        if found is None:
            out.append(spec)
            continue
        option = found
        share = heard(option)[0]
        if share == 0.0 or share >= 1.0:
            out.append(spec)
            continue
        rivals = [
            o
            for o in options.values()
            if o.id not in named
            and vocab(o) & vocab(option)
            and o.available
            and (heard(o)[0] > share or (heard(o)[0] == share and o.default and not option.default))
        ]
        if not rivals:
            out.append(spec)
            continue
        best = max(rivals, key=lambda o: (heard(o)[0], o.default, heard(o)[1]))
        named.add(best.id)
        level = spec.level if best.levels else Level.REGULAR
        out.append(
            spec.model_copy(update={"option": best.id, "level": level, "on_side": spec.on_side and best.side})
        )
    return DslOps(modifiers=tuple(out), size=ops.size, line=ops.line, unsure=ops.unsure)
