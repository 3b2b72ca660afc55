"""The real bundled base model + the committed adapter, end to end on modifier phrases (acceptance)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orderline.core.commands import AddItem
from orderline.core.provenance import Source
from orderline.menu.schema import Menu
from orderline.nlu.chain import FallbackChain, Step
from orderline.nlu.coverage import Understanding
from orderline.nlu.dsl import CallContext, grammar, render
from orderline.nlu.hybrid import HybridUnderstander
from orderline.nlu.prompt import build_prompt, few_shot_prefix
from orderline.order.machine import new_order
from orderline.order.state import Order
from orderline.slm.base import SlmRequest


def hybrid_understand(hybrid: HybridUnderstander, text: str, order: Order) -> Understanding:
    return asyncio.run(hybrid.understand_async(text, order))


@pytest.fixture(scope="module")
def hybrid(burger: Menu, slm_backends: tuple[Any, Any]) -> HybridUnderstander:
    primary, secondary = slm_backends
    chain = FallbackChain(
        [Step(primary, timeout_s=5.0), Step(secondary, timeout_s=5.0, prefix=few_shot_prefix())],
        deadline_s=10.0,
    )
    return HybridUnderstander(burger, chain)


@pytest.mark.parametrize(
    ("item_id", "say", "expected"),
    [
        ("cheeseburger", "no onions", "-onions"),
        ("cheeseburger", "light mayo", "+mayo=light"),
        ("cheeseburger", "extra pickles and no tomato", "+pickles=extra -tomato"),
        ("barn_burger", "sauce on the side", "+barn_sauce@side"),
        ("cheeseburger", "hold the cheese", "-cheese"),
    ],
)
def test_modifier_phrases_end_to_end(
    burger: Menu, hybrid: HybridUnderstander, item_id: str, say: str, expected: str
) -> None:
    """Real base + committed adapter, prompt, menu grammar, strict parse and validation."""
    item = burger.item(item_id)
    assert item is not None
    answer = asyncio.run(hybrid.fill(item, say))
    assert answer.ops is not None and answer.result is not None
    assert answer.result.model == "orderline-smollm2-lora"  # the adapter answered, not the fallback
    assert sorted(render(answer.ops).split()) == sorted(expected.split())


def test_few_shot_base_model_answers_inside_the_grammar(burger: Menu, slm_backends: tuple[Any, Any]) -> None:
    _, secondary = slm_backends
    item = burger.item("cheeseburger")
    assert item is not None
    ctx = CallContext.for_items(burger, [item])
    prompt = few_shot_prefix() + build_prompt(burger, "no pickles", item=item).render()
    result = secondary.complete_sync(SlmRequest(prompt=prompt, grammar=grammar(ctx)))
    assert grammar(ctx).accepts(result.text)


def test_clean_utterance_stays_deterministic(hybrid: HybridUnderstander) -> None:
    u = hybrid_understand(hybrid, "a cheeseburger with no onions", new_order())
    assert not u.calls
    assert all(c.provenance.source is Source.RULE for c in u.commands)


def test_unexplained_modifier_words_go_to_the_model_with_provenance(hybrid: HybridUnderstander) -> None:
    u = hybrid_understand(hybrid, "a cheeseburger and can you nix the onions", new_order())
    assert len(u.calls) == 1 and u.calls[0].ok
    add = next(c for c in u.commands if isinstance(c, AddItem))
    assert add.item == "cheeseburger"
    assert add.provenance.source is Source.MODEL
    assert add.provenance.name == "orderline-smollm2-lora"
    assert add.provenance.latency_ms > 0 and 0 < add.provenance.confidence <= 1
    assert any(m.option == "onions" and m.negated for m in add.modifiers)
