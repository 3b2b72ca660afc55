"""``orderline bench endpoint``: does an end-of-turn judge know a customer is mid-sentence?

Each phrase is spoken (the disguised bundled voice) and judged with 200 ms of silence after it, as at a pause:
the words before a mid-turn pause (``bench.wire.PAUSED_TURNS``: "a cheeseburger and", "uh", "two small
pizzas") must be judged unfinished; whole turns (the latency set and the paused turns in full) finished.
Judges: the text hint the runner uses (``dialog.hearing.sounds_unfinished`` on the words), Smart Turn v3.2
(audio), and both together. A false cutoff is an unfinished phrase judged finished; a needless hold is the
opposite (it costs the hold time in latency).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orderline.audio.smart_turn import SmartTurn
from orderline.bench.voice import LATENCY_TURNS, Speaker
from orderline.bench.wire import PAUSED_TURNS
from orderline.clients.timing import percentile
from orderline.dialog.hearing import sounds_unfinished


@dataclass(frozen=True)
class Judged:
    text: str
    finished: bool  # the truth
    smart_turn: float  # P(finished) from the audio model
    text_hint: bool  # the words sound finished


def phrases() -> list[tuple[str, bool]]:
    rows = [
        (" ".join(parts[:k]), False)
        for turns in PAUSED_TURNS.values()
        for parts, _ in turns
        for k in range(1, len(parts))
    ]
    rows += [(t, True) for texts in LATENCY_TURNS.values() for t in texts]
    rows += [(" ".join(parts), True) for turns in PAUSED_TURNS.values() for parts, _ in turns]
    return rows


def judge(
    speaker: Speaker, model: SmartTurn, progress: Callable[[int], None]
) -> tuple[list[Judged], list[float]]:
    tail = np.zeros(3200, dtype=np.float32)
    out, ms = [], []
    for text, finished in phrases():
        audio = np.concatenate([speaker.say(text), tail])
        started = time.perf_counter()
        p = model.complete(audio)
        ms.append((time.perf_counter() - started) * 1000)
        out.append(Judged(text, finished, p, not sounds_unfinished(text)))
        progress(1)
    return out, ms


JUDGES: dict[str, Callable[[Judged], bool]] = {
    "text hint": lambda j: j.text_hint,
    "smart turn v3.2": lambda j: j.smart_turn > 0.5,
    "both": lambda j: j.text_hint and j.smart_turn > 0.5,
}


def scores(judged: list[Judged], ms: list[float]) -> dict[str, object]:
    unfinished = [j for j in judged if not j.finished]
    finished = [j for j in judged if j.finished]
    table = {
        name: {
            "false_cutoffs": sum(says(j) for j in unfinished),
            "needless_holds": sum(not says(j) for j in finished),
        }
        for name, says in JUDGES.items()
    }
    return {
        "unfinished": len(unfinished),
        "finished": len(finished),
        "judges": table,
        "smart_turn_ms": {"p50": round(percentile(ms, 0.5), 1), "max": round(max(ms, default=0.0), 1)},
        "unfinished_phrases": [
            {"text": j.text, "smart_turn": round(j.smart_turn, 3), "text_hint": j.text_hint}
            for j in unfinished
        ],
    }
