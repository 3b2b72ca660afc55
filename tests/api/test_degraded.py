"""An SLM that cannot keep its deadline on this machine: the server says so once at start-up, /readyz reports
degraded (still ready), and every turn still gets an answer."""

from __future__ import annotations

from pathlib import Path

from server_process import Server, open_session, say, server_env


def test_a_slow_slm_is_reported_degraded_and_turns_still_answer(tmp_path: Path) -> None:
    env = server_env(tmp_path, ORDERLINE_SLM_STEP_TIMEOUT_S="0.001", ORDERLINE_SLM_DEADLINE_S="0.002")
    running = Server(tmp_path, env).start()
    try:
        with running.client(running.demo_key("burger")) as client:
            ready = client.get("/readyz")
            session = open_session(client, "burger")
            turn = say(client, session, "a cheeseburger and can you nix the onions")
            metrics = client.get("/metrics").text
    finally:
        running.stop()
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and body["status"] == "degraded"
    assert body["checks"]["slm"]["status"] == "degraded"
    assert running.log_tail(20000).count("slm_too_slow_for_budget") == 1
    assert turn["reply"]
    calls = turn["turn"]["slm_calls"]  # type: ignore[index]
    assert calls and not any(c["ok"] for c in calls)
    assert 'orderline_slm_calls_total{outcome="failed"}' in metrics
