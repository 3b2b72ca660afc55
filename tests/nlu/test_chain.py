"""The fallback chain step by step, and the second adapter reviewing removals: where the two adapters
disagree, the customer is asked.

The two models here answer from a script (the disagreement logic, deterministically); the real adapters
are exercised end to end in ``test_hybrid.py``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from orderline.core.commands import AddItem, Unplaced
from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.chain import FallbackChain, Step
from orderline.nlu.dsl import CallContext, grammar
from orderline.nlu.hybrid import HybridUnderstander
from orderline.order.machine import new_order
from orderline.slm.base import SlmBusyError, SlmRequest, SlmResult

SAY = "a cheeseburger nix the onions"  # "nix" is no word tier 1 knows: the model reads the span


@dataclass
class Scripted:
    """A model that always gives ``answer`` (after ``delay_s``), or raises ``error``."""

    name: str
    answer: str
    delay_s: float = 0.0
    calls: int = 0
    error: Exception | None = None

    async def complete(self, request: SlmRequest) -> SlmResult:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return SlmResult(text=self.answer, model=self.name, confidence=0.9, latency_ms=self.delay_s * 1000)

    async def aclose(self) -> None:
        return None


def test_each_step_of_the_chain_fails_in_turn_and_the_next_answers(burger: Menu) -> None:
    """Primary times out -> the second adapter is busy -> the base's answer is outside the grammar: each
    failure passes the call on; the step after the last failure answers; all failed -> None."""
    ctx = CallContext.for_items(burger, [burger.item_index["cheeseburger"]])
    call = ("say: nix the onions", grammar(ctx), ctx)
    slow = Scripted("primary", "-onions", delay_s=1.0)
    busy = Scripted("second", "-onions", error=SlmBusyError("second: busy"))
    invalid = Scripted("base", "+flurble")
    good = Scripted("last", "-onions")
    steps = [Step(slow, timeout_s=0.1), Step(busy, timeout_s=0.5), Step(invalid, timeout_s=0.5)]
    answer = asyncio.run(FallbackChain([*steps, Step(good, timeout_s=0.5)], deadline_s=5.0).ask(*call))
    assert answer.result is not None and answer.result.model == "last"
    assert [a.ok for a in answer.attempts] == [False, False, False, True]
    errors = [a.error for a in answer.attempts[:3]]
    assert "Timeout" in errors[0] and "SlmBusyError" in errors[1] and "DslError" in errors[2]
    for k in range(3):  # the step after each failure answers
        chain = FallbackChain([*steps[: k + 1], Step(good, timeout_s=0.5)], deadline_s=5.0)
        answer = asyncio.run(chain.ask(*call))
        assert answer.result is not None and answer.result.model == "last" and len(answer.attempts) == k + 2
    none = asyncio.run(FallbackChain(steps, deadline_s=5.0).ask(*call))
    assert none.ops is None and len(none.attempts) == 3


def hybrid(
    menu: Menu, primary: str, second: str, *, delay_s: float = 0.0
) -> tuple[HybridUnderstander, Scripted]:
    reviewer = Step(Scripted("second", second, delay_s), timeout_s=0.5)
    chain = FallbackChain(
        [Step(Scripted("primary", primary), timeout_s=0.5), reviewer], 1.0, reviewer=reviewer
    )
    assert isinstance(reviewer.backend, Scripted)
    return HybridUnderstander(menu, chain), reviewer.backend


def understand(h: HybridUnderstander, text: str) -> tuple[AddItem, list[Unplaced], tuple[str, ...]]:
    u = asyncio.run(h.understand_async(text, new_order()))
    adds = [c for c in u.commands if isinstance(c, AddItem)]
    asks = [c for c in u.commands if isinstance(c, Unplaced)]
    assert len(adds) == 1
    return adds[0], asks, tuple(a for call in u.calls for a in call.attempts)


def test_agreeing_adapters_remove_without_asking(burger: Menu) -> None:
    h, second = hybrid(burger, "-onions", "-onions")
    add, asks, attempts = understand(h, SAY)
    assert [(m.option, m.negated) for m in add.modifiers] == [("onions", True)]
    assert asks == [] and second.calls == 1
    assert any(a.startswith("review:second:agrees") for a in attempts)


def test_a_disputed_removal_is_asked_about_not_guessed(burger: Menu) -> None:
    h, _ = hybrid(burger, "-onions", "+pickles")
    add, asks, attempts = understand(h, SAY)
    assert all(m.option != "onions" for m in add.modifiers)  # neither removed nor kept as said
    assert [(a.words, a.options) for a in asks] == [("no onions", ("onions",))]
    assert asks[0].provenance.name.startswith("primary") and "disputed" in asks[0].provenance.name
    assert any("disputes onions" in a for a in attempts)


def test_the_customer_settles_a_dispute(burger: Menu) -> None:
    h, _ = hybrid(burger, "-onions", "none")
    session = TextSession.start(burger, h)
    turn = asyncio.run(session.say(SAY))
    assert "Should the Cheeseburger have no onions?" in turn.reply, turn.reply
    turn = asyncio.run(session.say("yes"))
    (line,) = turn.order.lines
    assert [(m.option, m.negated) for m in line.modifiers] == [("onions", True)]


def test_a_late_review_keeps_the_first_answer(burger: Menu) -> None:
    h, _ = hybrid(burger, "-onions", "none", delay_s=2.0)  # past what is left of the deadline
    add, asks, attempts = understand(h, SAY)
    assert [(m.option, m.negated) for m in add.modifiers] == [("onions", True)]
    assert asks == []
    assert any(a.startswith("review:") and "Timeout" in a for a in attempts)


def test_additions_are_not_reviewed(burger: Menu) -> None:
    h, second = hybrid(burger, "+pickles=extra", "none")
    _, asks, _ = understand(h, "a cheeseburger and heaps of pickles")
    assert second.calls == 0 and asks == []


def test_adding_what_the_item_comes_with_is_reviewed_as_a_misread_removal(burger: Menu) -> None:
    h, second = hybrid(burger, "+onions", "-onions")  # the first adapter misreads "nix"
    _, asks, _ = understand(h, SAY)
    assert second.calls == 1
    assert [(a.words, a.options) for a in asks] == [("no onions", ("onions",))]


def test_words_tier_1_heard_as_another_option_are_no_evidence_for_the_model(pizza: Menu) -> None:
    """ "red peppers" is no evidence for "no peppers", nor "peppers" for pepperoni."""
    h, _ = hybrid(pizza, "-peppers +pepperoni", "none")
    u = asyncio.run(h.understand_async("a small pizza with red peppers i guess thanks", new_order()))
    (add,) = [c for c in u.commands if isinstance(c, AddItem)]
    assert [(m.option, m.negated) for m in add.modifiers] == [("red_peppers", False)]


def test_a_removal_of_what_the_customer_asked_for_is_outvoted(pizza: Menu) -> None:
    """Tier 1 heard "cheese" added (pizza does not come with it) and the second adapter keeps it: the
    primary's removal loses two to one, and nobody is asked "should the pizza have no cheese?"."""
    h, _ = hybrid(pizza, "-cheese +olives", "+cheese +olives")
    u = asyncio.run(h.understand_async("one pizza please only cheese and olives", new_order()))
    (add,) = [c for c in u.commands if isinstance(c, AddItem)]
    assert sorted((m.option, m.negated) for m in add.modifiers) == [("cheese", False), ("olives", False)]
    assert not [c for c in u.commands if isinstance(c, Unplaced)]


def test_a_reference_answer_keeps_only_what_was_said_and_the_line_tier_1_found(burger: Menu) -> None:
    """ "the last thing i ordered, make it decaf": a model answering "line=2 size=small" (never said) or
    moving the change to another line does not replace tier 1's reading."""
    for answer in ("line=2 size=small", "line=1 +decaf"):
        h, _ = hybrid(burger, answer, "none")
        session = TextSession.start(burger, h)
        asyncio.run(session.say("a cheeseburger and a medium coffee"))
        turn = asyncio.run(session.say("the last thing i ordered, make it decaf"))
        coffee = turn.order.lines[1]
        assert coffee.size == "medium" and [m.option for m in coffee.modifiers] == ["decaf"], answer
