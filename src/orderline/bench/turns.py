"""``orderline bench turns``: time text -> commands -> transition -> reply on generated utterances."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.vocab import NUMBERS

_OPENERS = ("", "can i get ", "i'd like ", "let me get ", "i'll have ", "uh can i have ", "give me ")
_NEGATIONS = ("no ", "without ", "hold the ", "easy on the ", "extra ", "light ")
_FOLLOW_UPS = (
    "make that a large", "actually make it two", "remove the last one", "that's it", "yes",
    "no thanks", "what was that", "make the first one a small", "undo",
)  # fmt: skip


def generate_utterances(menu: Menu, count: int, seed: int = 0) -> list[str]:
    """Plausible customer turns built from the menu (items, sizes, quantities, modifiers)."""
    rng = random.Random(seed)
    items = [i for i in menu.items if i.available]
    numbers = [w for w in NUMBERS if w.isalpha() and NUMBERS[w] <= 5 and w not in ("to", "too", "for", "won")]
    out: list[str] = []
    for _ in range(count):
        if rng.random() < 0.2:
            out.append(rng.choice(_FOLLOW_UPS))
            continue
        parts: list[str] = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            item = rng.choice(items)
            words = [rng.choice(numbers)]
            if item.sizes and rng.random() < 0.7:
                words.append(menu.size_name(rng.choice(list(item.sizes))))
            words.append(rng.choice((item.name, *item.aliases)).lower())
            groups = menu.groups_for(item)
            options = [o for g in groups for o in g.options]
            if options and rng.random() < 0.6:
                mods = rng.sample(options, k=min(len(options), rng.choice((1, 2, 3))))
                words.append("with " + " and ".join(rng.choice(_NEGATIONS) + o.name.lower() for o in mods))
            parts.append(" ".join(words))
        out.append(rng.choice(_OPENERS) + " and ".join(parts))
    return out


@dataclass(slots=True)
class TurnTimings:
    totals_ms: list[float] = field(default_factory=list)
    stages_ms: dict[str, list[float]] = field(default_factory=dict)

    def percentile(self, values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        rows = {"total": self.totals_ms, **self.stages_ms}
        return {
            name: {
                "p50": round(self.percentile(v, 0.5), 4),
                "p99": round(self.percentile(v, 0.99), 4),
                "max": round(max(v, default=0.0), 4),
            }
            for name, v in rows.items()
        }


async def run(
    menu: Menu,
    understander: Understander,
    utterances: list[str],
    turns_per_session: int = 6,
    progress: Callable[[int], None] | None = None,
) -> TurnTimings:
    timings = TurnTimings()
    session = TextSession.start(menu, understander)
    for n, text in enumerate(utterances):
        if n % turns_per_session == 0 or session.order.is_closed:
            session = TextSession.start(menu, understander)
        started = time.perf_counter()
        turn = await session.say(text)
        timings.totals_ms.append((time.perf_counter() - started) * 1000)
        for stage, ms in turn.timings_ms.items():
            timings.stages_ms.setdefault(stage, []).append(ms)
        if progress is not None:
            progress(1)
    return timings
