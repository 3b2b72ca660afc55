"""Fuzzing the SLM's DSL parser: whatever a model writes either parses to ops inside the call's grammar (real
options, allowed levels and sides, a real size and line) that render back to the same ops, or raises
DslError; nothing else. A sentence of the grammar always parses."""

from __future__ import annotations

from pathlib import Path

from fuzz_strategies import edited_text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orderline.core.commands import Level
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.dsl import CallContext, DslError, DslOps, grammar, parse_dsl, render
from orderline.slm.grammar import Grammar

MENUS = Path(__file__).resolve().parents[2] / "menus"

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _contexts() -> tuple[CallContext, ...]:
    menus: dict[str, Menu] = {
        name: load_menu(MENUS / f"{name}.yaml") for name in ("burger", "pizza", "coffee")
    }
    out: list[CallContext] = [CallContext(options=()), CallContext(options=("onions",), n_lines=1)]
    for menu in menus.values():
        for item in menu.items[:: max(1, len(menu.items) // 3)]:
            out.append(CallContext.for_items(menu, [item], n_lines=len(out) % 4))
    return tuple(out)


CONTEXTS = _contexts()


def _words(ctx: CallContext) -> list[str]:
    g: Grammar = grammar(ctx)
    return sorted(g.body | g.lead | g.solo)


def check(text: str, ctx: CallContext) -> DslOps | None:
    """The property: ops inside the grammar that survive render -> parse, or a DslError."""
    try:
        ops = parse_dsl(text, ctx)
    except DslError as exc:
        assert str(exc)
        return None
    if ops.unsure:
        assert ops == DslOps(unsure=True)
        return ops
    options = [m.option for m in ops.modifiers]
    assert len(options) == len(set(options)) and set(options) <= set(ctx.options)
    for m in ops.modifiers:
        assert not m.negated or (m.level is Level.REGULAR and not m.on_side)
        assert m.level is Level.REGULAR or m.option in ctx.levels
        assert not m.on_side or m.option in ctx.sides
    assert ops.size is None or ops.size in ctx.sizes
    assert ops.line is None or 1 <= ops.line <= ctx.n_lines
    assert parse_dsl(render(ops), ctx) == ops
    return ops


contexts = st.sampled_from(CONTEXTS)


@FUZZ
@given(st.text(), contexts)
@example("line=² none", CONTEXTS[1])  # regression: str.isdigit() accepts "²", int() does not
@example("line=" + "1" * 5000, CONTEXTS[1])  # regression: past the int/str conversion limit
@example("line=01 none", CONTEXTS[1])  # not a word of the grammar
def test_random_text(text: str, ctx: CallContext) -> None:
    check(text, ctx)


@st.composite
def word_soup(draw: st.DrawFn) -> tuple[str, CallContext]:
    """Grammar words of the call (and of other calls) in any order and number, some of them edited."""
    ctx = draw(contexts)
    vocabulary = _words(ctx) + _words(draw(contexts)) + ["line=0", "size=", "+", "-", "=light", "@side"]
    words = draw(st.lists(st.sampled_from(vocabulary), max_size=8))
    words = [draw(edited_text(w, max_edits=1)) if draw(st.integers(0, 5)) == 0 else w for w in words]
    return " ".join(words), ctx


@FUZZ
@given(word_soup())
def test_grammar_words_in_any_order(case: tuple[str, CallContext]) -> None:
    check(*case)


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, CallContext]:
    """A sentence the grammar allows: an optional line, distinct options each in one allowed form, an
    optional size (or ``none``)."""
    ctx = draw(contexts)
    words: list[str] = []
    if ctx.n_lines and draw(st.booleans()):
        words.append(f"line={draw(st.integers(1, ctx.n_lines))}")
    chosen = draw(st.lists(st.sampled_from(ctx.options), unique=True, max_size=4)) if ctx.options else []
    for option in chosen:
        forms = [f"-{option}", f"+{option}"]
        levels = ["=light", "=extra"] if option in ctx.levels else []
        forms += [f"+{option}{level}" for level in levels]
        if option in ctx.sides:
            forms += [f"+{option}{level}@side" for level in ["", *levels]]
        words.append(draw(st.sampled_from(forms)))
    if draw(st.booleans()) and ctx.sizes:
        words.insert(
            len(words) - len(chosen) + draw(st.integers(0, len(chosen))),
            f"size={draw(st.sampled_from(ctx.sizes))}",
        )
    if len(words) == (1 if words and words[0].startswith("line=") else 0):
        words.append("none")
    return " ".join(words), ctx


@FUZZ
@given(sentences())
def test_sentences_of_the_grammar_parse(case: tuple[str, CallContext]) -> None:
    text, ctx = case
    ops = check(text, ctx)
    assert ops is not None, text
    assert len(ops.modifiers) == sum(w[0] in "+-" for w in text.split())
