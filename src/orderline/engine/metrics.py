"""Prometheus metrics, one registry per engine (so several apps in one test process do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from orderline.core.events import ClarificationNeeded, Event, HandedOff, NotUnderstood, OrderSubmitted
from orderline.dialog.record import StageTimings
from orderline.nlu.coverage import SlmCall

_MS_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 200, 300, 400, 600, 900, 1200, 2000, 5000)


class Metrics:
    """What operators watch: turns, stage latency, SLM calls and fallbacks, clarifications, handoffs,
    live sessions and submitted orders."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = Counter("orderline_turns", "Customer turns processed.", ["store", "channel"], registry=r)
        self.stage_ms = Histogram(
            "orderline_stage_ms", "Time per turn stage (ms).", ["stage"], buckets=_MS_BUCKETS, registry=r
        )
        self.slm_calls = Counter(
            "orderline_slm_calls", "SLM call points, by outcome (ok, failed).", ["outcome"], registry=r
        )
        self.slm_fallbacks = Counter(
            "orderline_slm_fallbacks", "Calls answered by a later step of the fallback chain.", registry=r
        )
        self.slm_timeouts = Counter(
            "orderline_slm_timeouts", "SLM steps that ran past their deadline.", registry=r
        )
        self.slm_busy = Counter(
            "orderline_slm_busy",
            "SLM steps skipped unrun: the model was busy and could not start before the call's deadline.",
            registry=r,
        )
        self.clarifications = Counter(
            "orderline_clarifying_questions",
            "Turns that asked the customer a question.",
            ["store"],
            registry=r,
        )
        self.handoffs = Counter(
            "orderline_handoffs", "Conversations handed to the crew.", ["store"], registry=r
        )
        self.submitted = Counter(
            "orderline_orders_submitted", "Orders put on a store's stream.", ["store"], registry=r
        )
        self.duplicates = Counter(
            "orderline_submits_deduplicated",
            "Submits of an order already on the stream (replays).",
            registry=r,
        )
        self.live_sessions = Gauge("orderline_live_sessions", "Live sessions on this worker.", registry=r)
        self.shed = Counter(
            "orderline_sessions_shed", "New sessions refused because the worker was full.", registry=r
        )
        self.storage_errors = Counter(
            "orderline_storage_errors", "Storage operations that failed.", registry=r
        )

    def observe_turn(
        self,
        store: str,
        channel: str,
        timings: StageTimings,
        events: tuple[Event, ...],
        calls: tuple[SlmCall, ...],
    ) -> None:
        self.turns.labels(store, channel).inc()
        for stage, ms in (("nlu", timings.nlu_ms), ("order", timings.order_ms), ("reply", timings.reply_ms)):
            self.stage_ms.labels(stage).observe(ms)
        self.stage_ms.labels("turn").observe(timings.total_ms)
        if any(isinstance(e, ClarificationNeeded | NotUnderstood) for e in events):
            self.clarifications.labels(store).inc()
        if any(isinstance(e, HandedOff) for e in events):
            self.handoffs.labels(store).inc()
        if any(isinstance(e, OrderSubmitted) for e in events):
            self.submitted.labels(store).inc()
        for call in calls:
            self.slm_calls.labels("ok" if call.ok else "failed").inc()
            if call.ok and len(call.attempts) > 1:
                self.slm_fallbacks.inc()
            self.slm_timeouts.inc(sum("Timeout" in a for a in call.attempts))
            self.slm_busy.inc(sum("SlmBusyError" in a for a in call.attempts))

    def render(self) -> bytes:
        return generate_latest(self.registry)
