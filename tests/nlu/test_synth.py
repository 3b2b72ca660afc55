"""Synthetic training data: deterministic, always valid under the call's own grammar."""

from __future__ import annotations

import pytest

from orderline.bench.slm import context_from_prompt
from orderline.menu.schema import Menu
from orderline.nlu.dsl import grammar, parse_dsl
from orderline.nlu.synth import MIXES, Example, Mix, synthesize


def test_deterministic_for_a_seed(burger: Menu, pizza: Menu) -> None:
    assert synthesize([burger, pizza], 50, seed=3) == synthesize([burger, pizza], 50, seed=3)
    assert synthesize([burger, pizza], 50, seed=3) != synthesize([burger, pizza], 50, seed=4)


def test_every_answer_parses_under_its_prompt_grammar(burger: Menu, pizza: Menu, coffee: Menu) -> None:
    menus = {m.id: m for m in (burger, pizza, coffee)}
    examples = synthesize(list(menus.values()), 600, seed=11)
    kinds = {e.kind for e in examples}
    assert kinds == {"modifiers", "reference", "none"}
    for ex in examples:
        ctx = context_from_prompt(menus[ex.menu], ex.prompt)
        assert grammar(ctx).accepts(ex.answer), ex
        parse_dsl(ex.answer, ctx)
        assert ex.prompt.endswith("\ndo:")


def test_the_context_mix_differs_from_the_default_and_leaves_it_unchanged(burger: Menu, coffee: Menu) -> None:
    menus = {m.id: m for m in (burger, coffee)}
    default = synthesize(list(menus.values()), 400, seed=1)
    assert default == synthesize(list(menus.values()), 400, seed=1, mix=MIXES["default"])
    context = synthesize(list(menus.values()), 400, seed=1, mix=MIXES["context"])

    def share(examples: list[Example]) -> float:
        return sum(e.kind == "reference" for e in examples) / len(examples)

    assert share(context) > share(default) + 0.1
    assert any(
        phrase in e.prompt for e in context for phrase in ("allergic to", "cant have", "absolutely no")
    )
    for ex in context:  # still valid under each call's grammar
        assert grammar(context_from_prompt(menus[ex.menu], ex.prompt)).accepts(ex.answer), ex
    with pytest.raises(ValueError):
        Mix("bad", none=0.6, reference=0.6)
