"""``orderline bench pizza``: parse PIZZA utterances with the pizza menu and score the EXR trees."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orderline.bench.exr import categories, order_to_exr, unordered_equal
from orderline.core.errors import OrderlineError
from orderline.menu.schema import Menu
from orderline.nlu.coverage import Understanding
from orderline.order.machine import new_order, transition
from orderline.order.state import Order

Understand = Callable[[str, Order], Awaitable[Understanding]]
"""An understander's ``understand_async``."""


@dataclass(frozen=True, slots=True)
class Example:
    src: str
    exr: str | None


@dataclass(slots=True)
class PizzaResult:
    total: int = 0
    correct: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    with_calls: int = 0
    call_latencies_ms: list[float] = field(default_factory=list)
    failed_calls: int = 0

    @property
    def call_rate(self) -> float:
        n = len(self.latencies_ms)
        return self.with_calls / n if n else 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_json(self) -> dict[str, object]:
        lat = sorted(self.latencies_ms)
        p50 = lat[len(lat) // 2] if lat else 0.0
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
        return {
            "total": self.total,
            "correct": self.correct,
            "exact_match": round(self.accuracy, 4),
            "by_category": {
                k: {"total": v[1], "correct": v[0], "exact_match": round(v[0] / v[1], 4) if v[1] else None}
                for k, v in sorted(self.by_category.items())
            },
            "seconds": round(self.seconds, 2),
            "latency_ms": {"p50": round(p50, 3), "p99": round(p99, 3)},
            "slm": {
                "utterances_with_calls": self.with_calls,
                "call_rate": round(self.call_rate, 4),
                "calls": len(self.call_latencies_ms),
                "failed_calls": self.failed_calls,
                "call_latency_ms": _percentiles(self.call_latencies_ms),
            },
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)
    return {q: round(v[min(len(v) - 1, int(len(v) * f))], 2) for q, f in (("p50", 0.5), ("p95", 0.95))}


def read_examples(path: Path) -> Iterator[Example]:
    """PIZZA JSON lines: ``dev.SRC``/``test.SRC`` (or ``src``) and the matching ``EXR`` when present.

    Raises:
        OrderlineError: a line is not JSON or has no source utterance.
    """
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise OrderlineError(f"{path}:{number}: not JSON ({exc.msg})") from None
            src = next((v for k, v in row.items() if k == "src" or k.endswith(".SRC")), None)
            exr = next((v for k, v in row.items() if k == "exr" or k.endswith(".EXR")), None)
            if not isinstance(src, str):
                raise OrderlineError(f"{path}:{number}: no 'src' or '*.SRC' field")
            yield Example(src=src, exr=exr if isinstance(exr, str) else None)


async def parse_utterance(text: str, understand: Understand, menu: Menu) -> tuple[str, float]:
    """Run one utterance through understanding and the state machine on an empty order."""
    exr, ms, _ = await understand_utterance(text, understand, menu)
    return exr, ms


async def understand_utterance(
    text: str, understand: Understand, menu: Menu
) -> tuple[str, float, Understanding]:
    """Like :func:`parse_utterance`, also returning the understanding (with any SLM calls)."""
    order = new_order()
    started = time.perf_counter()
    understanding = await understand(text, order)
    for command in understanding.commands:
        order, _events = transition(order, command, menu)
    return order_to_exr(order, menu), (time.perf_counter() - started) * 1000, understanding


async def run(
    examples: list[Example],
    understand: Understand,
    menu: Menu,
    out: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> PizzaResult:
    result = PizzaResult()
    started = time.perf_counter()
    handle = out.open("w", encoding="utf-8") if out is not None else None
    try:
        for example in examples:
            exr, ms, understanding = await understand_utterance(example.src, understand, menu)
            result.latencies_ms.append(ms)
            if understanding.calls:
                result.with_calls += 1
                result.call_latencies_ms += [c.latency_ms for c in understanding.calls]
                result.failed_calls += sum(not c.ok for c in understanding.calls)
            if handle is not None:
                handle.write(json.dumps({"src": example.src, "exr": exr}) + "\n")
            if example.exr is not None:
                ok = unordered_equal(exr, example.exr)
                result.total += 1
                result.correct += ok
                for cat in categories(example.exr):
                    counts = result.by_category.setdefault(cat, [0, 0])
                    counts[0] += ok
                    counts[1] += 1
            if progress is not None:
                progress(1)
    finally:
        if handle is not None:
            handle.close()
    result.seconds = time.perf_counter() - started
    return result
