from __future__ import annotations

import asyncio

from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher
from orderline.order.state import DialogState


def test_each_turn_records_reply_order_and_stage_timings(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    session = TextSession.start(pizza, pizza_matcher)
    turn = asyncio.run(session.say("a large pepperoni pizza"))
    assert "pizza" in turn.reply.lower()
    assert turn.order is session.order
    assert set(turn.timings_ms) == {"nlu", "order", "reply"}
    assert session.history == [turn]


def test_a_turn_that_is_not_understood_asks_again_and_keeps_the_order(
    pizza: Menu, pizza_matcher: RuleMatcher
) -> None:
    session = TextSession.start(pizza, pizza_matcher)
    asyncio.run(session.say("two cokes"))
    turn = asyncio.run(session.say("blorp fizzle"))
    assert "didn't catch" in turn.reply
    assert [line.item for line in session.order.lines] == ["coke"]


def test_the_order_is_submitted_exactly_once(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    session = TextSession.start(pizza, pizza_matcher)
    for text in ("a small cheese pizza and a sprite", "that's all", "yes"):
        asyncio.run(session.say(text))
    assert session.order.state is DialogState.SUBMITTED
    again = asyncio.run(session.say("yes"))
    assert "already submitted" in again.reply
    assert session.order.state is DialogState.SUBMITTED


def test_a_resumed_conversation_opens_with_where_the_order_stands(burger: Menu) -> None:
    """Another socket (another worker) picks the conversation up: the customer hears what is already rung up,
    not the greeting, so nothing is ordered twice."""
    from orderline.nlu.matcher import RuleMatcher

    session = TextSession.start(burger, RuleMatcher(burger))
    assert session.greeting() == burger.greeting
    asyncio.run(session.say("a cheeseburger"))
    resumed = TextSession(menu=burger, understander=session.understander, order=session.order)
    assert (
        resumed.greeting() == "Sorry, we got cut off. So far I have a Cheeseburger. What else can I get you?"
    )
    asyncio.run(resumed.say("and a coke"))  # no size: the question is asked again on resume
    again = TextSession(menu=burger, understander=session.understander, order=resumed.order)
    assert again.greeting().startswith("Sorry, we got cut off. So far I have a Cheeseburger and a Coke.")
    assert "What size would you like for the Coke" in again.greeting()
