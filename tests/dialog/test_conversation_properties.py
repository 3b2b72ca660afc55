"""Properties of whole conversations over generated utterances on every menu.

No dead ends: whatever was said before, "that's all" twice leaves no question pending. Nothing silently
dropped: every modifier the customer names is on the order, in the reply, or asked about.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderline.dialog.session import TextSession
from orderline.menu.loader import load_menu
from orderline.menu.schema import Item, Menu, ModifierOption
from orderline.nlu.matcher import RuleMatcher
from orderline.order.state import DialogState

MENUS = {name: load_menu(Path("menus") / f"{name}.yaml") for name in ("burger", "pizza", "coffee")}
MATCHERS = {name: RuleMatcher(menu) for name, menu in MENUS.items()}
_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
_FILLERS = ("that's all", "yes", "no thanks", "never mind", "large", "uh", "same again", "make it a meal")


def _orderable(menu: Menu) -> list[Item]:
    return [i for i in menu.items if i.available and not i.dayparts]


def _options(menu: Menu, item: Item) -> list[ModifierOption]:
    return [o for g in menu.groups_for(item) for o in g.options if o.available]


def _say(menu_name: str, turns: list[str]) -> TextSession:
    async def run() -> TextSession:
        session = TextSession.start(MENUS[menu_name], MATCHERS[menu_name])
        for text in turns:
            await session.say(text)
        return session

    return asyncio.run(run())


@st.composite
def _utterance(draw: st.DrawFn, menu_name: str) -> str:
    menu = MENUS[menu_name]
    item = draw(st.sampled_from(_orderable(menu)))
    options = _options(menu, item)
    text = f"a {item.name}"
    if item.sizes and draw(st.booleans()):
        text = f"a {menu.size_name(draw(st.sampled_from(sorted(item.sizes))))} {item.name}"
    if options and draw(st.booleans()):
        option = draw(st.sampled_from(options))
        text += f" with no {option.name}" if option.default else f" with {option.name}"
    return text


@st.composite
def _conversation(draw: st.DrawFn) -> tuple[str, list[str]]:
    menu_name = draw(st.sampled_from(sorted(MENUS)))
    turns = draw(
        st.lists(st.one_of(_utterance(menu_name), st.sampled_from(_FILLERS)), min_size=1, max_size=5)
    )
    return menu_name, turns


@_SETTINGS
@given(_conversation())
def test_no_question_survives_thats_all_twice(conversation: tuple[str, list[str]]) -> None:
    menu_name, turns = conversation
    session = _say(menu_name, [*turns, "that's all", "that's all"])
    assert session.order.state is not DialogState.CLARIFYING, [t.reply for t in session.history]


@st.composite
def _modified(draw: st.DrawFn) -> tuple[str, str, ModifierOption, list[str]]:
    menu_name = draw(st.sampled_from(sorted(MENUS)))
    menu = MENUS[menu_name]
    items = [i for i in _orderable(menu) if _options(menu, i)]
    item = draw(st.sampled_from(items))
    option = draw(st.sampled_from(_options(menu, item)))
    said = f"no {option.name}" if option.default else option.name
    before = draw(st.lists(_utterance(menu_name), max_size=2))
    size = f"{menu.size_name(sorted(item.sizes)[0])} " if item.sizes else ""
    template = draw(
        st.sampled_from(
            ("{size}{item} with {mod}", "two {size}{item}s, one with {mod}", "and a {size}{item}, {mod}")
        )
    )
    return menu_name, template.format(size=size, item=item.name, mod=said), option, before


@_SETTINGS
@given(_modified())
def test_every_modifier_said_is_on_the_order_in_the_reply_or_asked_about(
    case: tuple[str, str, ModifierOption, list[str]],
) -> None:
    menu_name, text, option, before = case
    session = _say(menu_name, [*before, text])
    turn = session.history[-1]
    on_order = any(m.option == option.id for line in turn.order.lines for m in line.modifiers)
    # applied and confirmed, asked about ("Which one gets ...?") or refused by name: the reply names it
    assert option.name.lower() in turn.reply.lower(), (text, turn.reply, on_order)


@pytest.mark.parametrize("menu_name", sorted(MENUS))
def test_a_split_keeps_the_count_and_puts_the_change_on_one(menu_name: str) -> None:
    menu = MENUS[menu_name]
    item = next(
        i for i in _orderable(menu) if not i.is_combo and any(not o.default for o in _options(menu, i))
    )
    option = next(o for o in _options(menu, item) if not o.default)
    size = f"{menu.size_name(sorted(item.sizes)[0])} " if item.sizes else ""
    session = _say(menu_name, [f"three {size}{item.name}s, one with {option.name}"])
    lines = session.order.lines
    assert sum(line.quantity for line in lines) == 3
    assert [line.quantity for line in lines if any(m.option == option.id for m in line.modifiers)] == [1]
