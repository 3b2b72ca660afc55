"""The SLM's DSL: strict parsing under a menu grammar, rendering, failing closed."""

from __future__ import annotations

import pytest

from orderline.core.commands import Level, ModifierSpec
from orderline.menu.schema import Menu
from orderline.nlu.dsl import CallContext, DslError, DslOps, grammar, parse_dsl, render


@pytest.fixture(scope="module")
def ctx(burger: Menu) -> CallContext:
    item = burger.item("cheeseburger")
    assert item is not None
    return CallContext.for_items(burger, [item], n_lines=2)


def test_parses_modifiers_levels_and_sides(ctx: CallContext) -> None:
    side = next(o for o in ctx.options if o in ctx.sides)
    ops = parse_dsl(f"-onions +mayo=light +pickles=extra +{side}@side", ctx)
    assert ops.modifiers == (
        ModifierSpec(option="onions", negated=True),
        ModifierSpec(option="mayo", level=Level.LIGHT),
        ModifierSpec(option="pickles", level=Level.EXTRA),
        ModifierSpec(option=side, on_side=True),
    )


def test_line_and_size(ctx: CallContext) -> None:
    size = ctx.sizes[0] if ctx.sizes else None
    text = "line=2 -onions" + (f" size={size}" if size else "")
    ops = parse_dsl(text, ctx)
    assert ops.line == 2 and ops.size == size


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "+caviar",
        "line=9 -onions",
        "-onions -onions",
        "-onions=light",
        "+onions=huge",
        "add onions",
        "size=gigantic",
    ],
)
def test_anything_outside_the_grammar_is_rejected(ctx: CallContext, bad: str) -> None:
    with pytest.raises(DslError):
        parse_dsl(bad, ctx)


def test_none_and_unsure(ctx: CallContext) -> None:
    assert parse_dsl("none", ctx).empty
    assert parse_dsl("line=1 none", ctx).line == 1
    assert parse_dsl("?", ctx).unsure


def test_render_round_trips(ctx: CallContext) -> None:
    ops = DslOps(
        modifiers=(
            ModifierSpec(option="onions", negated=True),
            ModifierSpec(option="mayo", level=Level.EXTRA),
        ),
        line=1,
    )
    assert parse_dsl(render(ops), ctx) == ops
    assert render(DslOps()) == "none"


def test_grammar_matches_the_parser(ctx: CallContext) -> None:
    g = grammar(ctx)
    for text in ("-onions +mayo=light", "line=1 none", "none", "?", "line=2 -pickles"):
        assert g.accepts(text), text
        parse_dsl(text, ctx)
        assert g.pattern.fullmatch(text), text
    for text in ("+caviar", "none -onions", "-onions none", "-onions -onions"):
        assert not g.accepts(text), text
