"""Whether the SLM keeps its deadline: from the warm-up call and recent calls."""

from __future__ import annotations

from orderline.engine.slm import SlmMonitor
from orderline.nlu.coverage import SlmCall


def _call(ok: bool, attempts: tuple[str, ...]) -> SlmCall:
    return SlmCall(
        kind="modifiers", say="x", reason="r", model="m", answer="", ok=ok, latency_ms=5.0, attempts=attempts
    )


def test_a_slow_warm_up_is_degraded() -> None:
    monitor = SlmMonitor(budget_ms=600)
    monitor.warmed(150)
    assert monitor.status == "ok"
    monitor.warmed(1100)
    assert monitor.status == "degraded"


def test_recent_timeouts_make_it_degraded() -> None:
    monitor = SlmMonitor(budget_ms=600)
    monitor.record(tuple(_call(True, ("a:ok",)) for _ in range(8)))
    assert monitor.status == "ok"
    monitor.record(tuple(_call(False, ("a:TimeoutError: ", "b:TimeoutError: ")) for _ in range(4)))
    assert monitor.status == "degraded"
    assert monitor.summary()["recent_timeouts"] == 4


def test_off_when_there_is_no_slm() -> None:
    assert SlmMonitor(budget_ms=600, enabled=False).status == "off"


def test_a_warm_up_no_step_answered_is_degraded_however_fast() -> None:
    monitor = SlmMonitor(budget_ms=600)
    monitor.warmed(0.2, answered=False)  # every step was skipped or timed out at once
    assert monitor.status == "degraded"
