"""``orderline bench wire``: end of customer speech to the first reply audio byte, measured at the client over
a real socket in real time, against a running server (lane websocket or Twilio phone line).

Two sets of turns: the latency set (one conversation per menu, simple orders, from ``bench.voice``) and a
*paused* set, where the customer stops mid-turn the way people do ("a cheeseburger and ... a large fries",
"uh ... two small pizzas") for 300-900 ms. A reply to a paused turn that arrives before the customer has
finished speaking is a **false cutoff**; its rate is reported beside every latency figure, because a fast
reply must not come from cutting customers off.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orderline.asr.base import SAMPLE_RATE
from orderline.bench.voice import LATENCY_TURNS, Speaker
from orderline.clients.lane import LaneClient
from orderline.clients.phone import PhoneCall, answer_call
from orderline.clients.timing import ClientTurn, Float32Array, percentile

PAUSED_TURNS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "burger": (
        (("a cheeseburger and", "a large fries"), 600),
        (("uh", "two hamburgers with no pickles"), 700),
        (("a number one with", "a coke"), 500),
        (("can i get a spicy chicken sandwich", "and a medium sprite"), 800),
    ),
    "pizza": (
        (("a large pizza with", "pepperoni and mushrooms"), 600),
        (("two small pizzas", "one with ham"), 900),
        (("a medium pizza with", "um", "olives"), 400),
    ),
    "coffee": (
        (("a large latte with", "oat milk"), 700),
        (("a small cappuccino and", "a blueberry muffin"), 600),
        (("uh", "a medium mocha"), 300),
    ),
}
"""Turns spoken in parts with a pause (ms) between them, after "and", "with", "uh", between items."""


@dataclass
class WireResult:
    channel: str
    turns: list[ClientTurn] = field(default_factory=list)
    paused: int = 0
    false_cutoffs: int = 0
    server_stages: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def first_audio_ms(self) -> list[float]:
        return [t.first_audio_ms for t in self.turns if t.first_audio_ms is not None]

    def summary(self) -> dict[str, Any]:
        ms = self.first_audio_ms
        return {
            "channel": self.channel,
            "turns": len(self.turns),
            "answered": len(ms),
            "first_audio_ms": {
                "p50": round(percentile(ms, 0.5), 1),
                "p95": round(percentile(ms, 0.95), 1),
                "max": round(max(ms, default=0.0), 1),
            },
            "paused_turns": self.paused,
            "false_cutoffs": self.false_cutoffs,
            "false_cutoff_rate": round(self.false_cutoffs / self.paused, 4) if self.paused else None,
            "server_stages_p50_ms": {k: round(percentile(v, 0.5), 1) for k, v in self.server_stages.items()},
            "seconds": round(self.seconds, 1),
        }


def _paused_audio(speaker: Speaker, parts: Sequence[str], pause_ms: int) -> list[Float32Array]:
    gap = np.zeros(SAMPLE_RATE * pause_ms // 1000, dtype=np.float32)
    pieces: list[Float32Array] = []
    for n, part in enumerate(parts):
        if n:
            pieces.append(gap)
        pieces.append(speaker.say(part))
    return pieces


async def _lane_conversation(
    url: str,
    key: str,
    speaker: Speaker,
    texts: Sequence[str],
    paused: Sequence[tuple[tuple[str, ...], int]],
    result: WireResult,
    progress: Callable[[int], None],
) -> str:
    async with LaneClient(url, key) as lane:
        for text in texts:
            result.turns.append(await lane.turn(speaker.say(text), text))
            progress(1)
        for parts, pause_ms in paused:
            replies_before = sum(1 for e in lane.events if e.get("type") == "reply")
            pieces = _paused_audio(speaker, parts, pause_ms)
            for piece in pieces[:-1]:
                await lane.send_realtime(piece)
            cut = sum(1 for e in lane.events if e.get("type") == "reply") > replies_before
            result.paused += 1
            result.false_cutoffs += cut
            turn = await lane.turn(pieces[-1], " ... ".join(parts))
            if not cut:
                result.turns.append(turn)
            progress(1)
        return lane.session_id or ""


async def run_lane(
    base_url: str, keys: dict[str, str], speaker: Speaker, limit: int | None, progress: Callable[[int], None]
) -> tuple[WireResult, list[tuple[str, str]]]:
    """One lane conversation per menu: the latency turns, then the paused turns."""
    result = WireResult("lane")
    sessions: list[tuple[str, str]] = []
    started = time.perf_counter()
    ws = base_url.replace("http", "ws", 1)
    for store, texts in _turns(limit).items():
        url = f"{ws}/v1/stores/{store}/lanes/bench/stream"
        session = await _lane_conversation(
            url, keys[store], speaker, texts, PAUSED_TURNS[store], result, progress
        )
        sessions.append((store, session))
    result.seconds = time.perf_counter() - started
    return result, sessions


async def run_phone(
    webhook: str,
    auth_token: str,
    speaker: Speaker,
    limit: int | None,
    progress: Callable[[int], None],
    store: str = "burger",
) -> WireResult:
    """One call with the store's latency turns (the phone carries no events: latency only)."""
    result = WireResult("phone")
    started = time.perf_counter()
    texts = _turns(limit, only=store)[store]
    call_sid = "CA" + uuid.uuid4().hex
    url, params = answer_call(webhook, auth_token, call_sid)
    async with PhoneCall(url, params, call_sid) as call:
        await call.wait_until_played()  # the greeting
        for text in texts:
            result.turns.append(await call.turn(speaker.say(text), text))
            progress(1)
    result.seconds = time.perf_counter() - started
    return result


def _turns(limit: int | None, only: str | None = None) -> dict[str, tuple[str, ...]]:
    stores = {k: v for k, v in LATENCY_TURNS.items() if only is None or k == only}
    if limit is None:
        return stores
    per = max(1, limit // len(stores))
    return {k: v[:per] for k, v in stores.items()}


def collect_server_stages(result: WireResult, sessions: list[dict[str, Any]]) -> None:
    """The per-stage split the server recorded for the same turns (from ``GET /v1/sessions/{id}``)."""
    for session in sessions:
        for turn in session.get("turns", []):
            for stage, value in turn.get("timings", {}).items():
                if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                    result.server_stages.setdefault(stage, []).append(float(value))
