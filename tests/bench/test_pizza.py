"""The PIZZA adapter on our own independently written orders (tests/data/pizza_own.jsonl)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from orderline.bench import pizza as bench
from orderline.core.errors import OrderlineError
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher

OWN = Path(__file__).resolve().parents[1] / "data" / "pizza_own.jsonl"


def test_own_pizza_orders_parse_with_high_exact_match(pizza: Menu, pizza_matcher: RuleMatcher) -> None:
    examples = list(bench.read_examples(OWN))
    assert len(examples) >= 200
    result = asyncio.run(bench.run(examples, pizza_matcher.understand_async, pizza))
    assert result.accuracy >= 0.9, result.to_json()


def test_predictions_are_written_in_input_order(
    pizza: Menu, pizza_matcher: RuleMatcher, tmp_path: Path
) -> None:
    data = tmp_path / "in.jsonl"
    rows = [{"src": "two cokes"}, {"src": "a large pizza with ham"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "pred.jsonl"
    result = asyncio.run(
        bench.run(list(bench.read_examples(data)), pizza_matcher.understand_async, pizza, out)
    )
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["src"] for line in lines] == ["two cokes", "a large pizza with ham"]
    assert lines[0]["exr"] == "(ORDER (DRINKORDER (DRINKTYPE COKE ) (NUMBER 2 ) ) )"
    assert result.total == 0  # no gold trees: nothing scored


def test_a_broken_input_line_is_reported_with_its_number(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"src": "a coke"}\nnot json\n')
    with pytest.raises(OrderlineError, match=r"bad\.jsonl:2"):
        list(bench.read_examples(data))
