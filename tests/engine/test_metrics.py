"""The Prometheus metrics say what the SLM did: answered, fell back, timed out, or was skipped as busy."""

from __future__ import annotations

from orderline.dialog.record import StageTimings
from orderline.engine.metrics import Metrics
from orderline.nlu.coverage import SlmCall


def _call(ok: bool, *attempts: str) -> SlmCall:
    return SlmCall(
        kind="modifiers", say="x", reason="r", model="m", answer="", ok=ok, latency_ms=1.0, attempts=attempts
    )


def test_busy_timeouts_and_fallbacks_are_counted_apart() -> None:
    metrics = Metrics()
    calls = (
        _call(True, "lora:SlmBusyError: busy", "base:ok"),
        _call(False, "lora:TimeoutError: ", "base:SlmBusyError: busy"),
    )
    metrics.observe_turn("burger", "text", StageTimings(), (), calls)
    text = metrics.render().decode()
    assert "orderline_slm_busy_total 2.0" in text
    assert "orderline_slm_timeouts_total 1.0" in text
    assert "orderline_slm_fallbacks_total 1.0" in text
    assert 'orderline_slm_calls_total{outcome="failed"} 1.0' in text
