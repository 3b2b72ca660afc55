"""A worker killed mid-conversation loses nothing: another one resumes the session from Redis, and replaying
the submit turn adds no second entry to the order stream."""

from __future__ import annotations

from pathlib import Path

from server_process import Server, open_session, say, server_env


def test_sigkill_mid_conversation_then_resume_on_a_new_process(tmp_path: Path) -> None:
    env = server_env(tmp_path, ORDERLINE_NLU="rules")
    first = Server(tmp_path, env).start()
    key = first.demo_key("burger")
    with first.client(key) as client:
        session = open_session(client, "burger")
        say(client, session, "a number one with no pickles")
        before = say(client, session, "large")
        say(client, session, "a diet coke")
    first.kill()  # no shutdown hook, no flush: only what Redis already had survives

    second = Server(tmp_path, env).start()
    try:
        assert second.demo_key("burger") == key  # the keys survived too
        with second.client(key) as client:
            resumed = client.get(f"/v1/sessions/{session}").json()
            assert resumed["turn_count"] == 3
            assert resumed["order"]["lines"][0]["item"] == "combo_1"
            assert resumed["order"]["lines"][0]["size"] == "large"
            assert resumed["order"]["total_cents"] >= before["order"]["total_cents"]  # type: ignore[index]
            say(client, session, "that's it")
            answer = say(client, session, "no thanks")
            if answer["state"] != "submitted":
                answer = say(client, session, "yes")
            assert answer["state"] == "submitted"
            order_id = answer["order"]["order_id"]  # type: ignore[index]
            again = client.post(f"/v1/sessions/{session}/turns", json={"text": "yes"}).json()
            assert again["submitted"] is None
            orders = client.get("/v1/stores/burger/orders", params={"limit": 200}).json()["orders"]
        assert [o["order_id"] for o in orders].count(order_id) == 1
        assert second.stop() == 0  # SIGTERM: a clean shutdown, exit status 0
        assert '"event": "shutting_down"' in second.log_tail()
    finally:
        if second.proc is not None and second.proc.poll() is None:
            second.kill()
