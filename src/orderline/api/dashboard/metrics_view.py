"""The metrics page: first-audio latency per stage, SLM and fallback rates, clarify and handoff rates, order
volume over the last hour and day - from the per-turn statistics and the order stream in Redis (so every
worker's turns count, and a restart loses nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orderline.api.dashboard.charts import bars
from orderline.storage.base import SubmittedOrder, TurnStat

STAGES = (
    ("endpoint", "endpoint_ms"),
    ("asr", "asr_ms"),
    ("understand", "nlu_ms"),
    ("tts first", "tts_first_ms"),
    ("first audio", "first_audio_ms"),
)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[k], 1)


@dataclass(frozen=True)
class Summary:
    turns: int
    voice_turns: int
    first_audio_p50: float
    first_audio_p95: float
    slm_rate: float  # SLM calls per turn
    fallback_rate: float  # of SLM calls, the share a later step or nobody answered
    clarify_rate: float
    handoff_rate: float
    orders_hour: int
    orders_day: int


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 3) if whole else 0.0


def build(stats: list[TurnStat], orders: list[SubmittedOrder], now: float) -> dict[str, Any]:
    hour = [s for s in stats if s.at >= now - 3600]
    voice = [s for s in hour if s.channel != "text"]
    calls = sum(s.slm_calls for s in hour)
    stage_p50 = [percentile([getattr(s, f) for s in voice if getattr(s, f)], 50) for _, f in STAGES]
    stage_p95 = [percentile([getattr(s, f) for s in voice if getattr(s, f)], 95) for _, f in STAGES]
    first = [s.first_audio_ms for s in voice if s.first_audio_ms]
    stamps = [o.submitted_at.timestamp() for o in orders]
    per5 = [
        sum(1 for t in stamps if now - 3600 + 300 * i <= t < now - 3600 + 300 * (i + 1)) for i in range(12)
    ]
    per_hour = [
        sum(1 for t in stamps if now - 86400 + 3600 * i <= t < now - 86400 + 3600 * (i + 1))
        for i in range(24)
    ]
    p95_5 = [
        percentile(
            [
                s.first_audio_ms or s.total_ms
                for s in stats
                if now - 3600 + 300 * i <= s.at < now - 3600 + 300 * (i + 1)
            ],
            95,
        )
        for i in range(12)
    ]

    def clock(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%H:%M")

    summary = Summary(
        turns=len(hour),
        voice_turns=len(voice),
        first_audio_p50=percentile(first, 50),
        first_audio_p95=percentile(first, 95),
        slm_rate=_rate(calls, len(hour)),
        fallback_rate=_rate(sum(s.slm_fallbacks for s in hour), calls),
        clarify_rate=_rate(sum(s.clarify for s in hour), len(hour)),
        handoff_rate=_rate(sum(s.handoff for s in hour), len(hour)),
        orders_hour=sum(per5),
        orders_day=sum(per_hour),
    )
    charts = [
        bars(
            "Spoken turns, last hour: latency per stage (ms)",
            [name for name, _ in STAGES],
            {"p50": stage_p50, "p95": stage_p95},
            " ms",
        ),
        bars(
            "p95 reply latency per 5 minutes (ms; first audio, or the typed answer)",
            [clock(now - 3600 + 300 * i) for i in range(12)],
            {"p95": p95_5},
            " ms",
            every=2,
        ),
        bars(
            "Rates, last hour",
            ["SLM calls / turn", "fallback / call", "clarify / turn", "handoff / turn"],
            {"rate": [summary.slm_rate, summary.fallback_rate, summary.clarify_rate, summary.handoff_rate]},
        ),
        bars(
            "Orders per 5 minutes, last hour",
            [clock(now - 3600 + 300 * i) for i in range(12)],
            {"orders": per5},
            every=2,
        ),
        bars(
            "Orders per hour, last day",
            [clock(now - 86400 + 3600 * i) for i in range(24)],
            {"orders": per_hour},
            every=3,
        ),
    ]
    return {"summary": summary, "charts": charts}
