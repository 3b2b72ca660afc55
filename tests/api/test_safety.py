"""Nothing but /healthz without a key; roles and stores are enforced; bad input gets a clear 4xx."""

from __future__ import annotations

import httpx
import pytest
from server_process import Server, open_session, say

from orderline.storage.keys import Role, new_key


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    assert response.json()["error"]["message"]
    return code


def test_only_healthz_is_open(server: Server) -> None:
    with server.client(None) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        for method, path in [
            ("GET", "/readyz"),
            ("GET", "/metrics"),
            ("POST", "/v1/stores/burger/sessions"),
            ("GET", "/v1/stores/burger/menu"),
            ("GET", "/v1/stores/burger/orders"),
            ("PUT", "/v1/stores/burger/availability"),
            ("GET", "/v1/sessions/" + "0" * 32),
        ]:
            response = anonymous.request(method, path, json={})
            assert _error(response, 401) == "missing_key", path
            assert response.headers["www-authenticate"] == "Bearer"


def test_forged_and_malformed_keys_are_refused(server: Server) -> None:
    real = server.demo_key("burger")
    key_id = real.split("_")[1]
    forged, _ = new_key("burger", Role.MANAGER)
    for bad in (f"olk_{key_id}_not-the-secret", forged, "hello", "olk__", ""):
        with server.client(bad or "x") as client:
            assert _error(client.get("/v1/stores/burger/menu"), 401) in ("invalid_key", "missing_key")


def test_roles_and_stores(server: Server) -> None:
    crew_key = server.create_key("burger", "crew")
    client_key = server.create_key("burger", "client")
    with server.client(crew_key) as crew, server.client(client_key) as lane:
        assert (
            _error(crew.put("/v1/stores/burger/availability", json={"unavailable": ["fries"]}), 403)
            == "forbidden_role"
        )
        assert crew.get("/v1/stores/burger/orders").status_code == 200
        assert _error(lane.get("/v1/stores/burger/orders"), 403) == "forbidden_role"
        assert _error(crew.get("/v1/stores/pizza/menu"), 403) == "forbidden_store"
        assert _error(crew.get("/v1/stores/nowhere/menu"), 404) == "unknown_store"
        session = open_session(lane, "burger")
    # a session of another store is not found with this store's key
    with server.client(server.demo_key("pizza")) as pizza:
        assert _error(pizza.get(f"/v1/sessions/{session}"), 404) == "unknown_session"
        assert (
            _error(pizza.post(f"/v1/sessions/{session}/turns", json={"text": "a coke"}), 404)
            == "unknown_session"
        )


def test_bad_input_gets_a_clear_4xx(server: Server) -> None:
    with server.client(server.demo_key("burger")) as client:
        session = open_session(client, "burger")
        turns = f"/v1/sessions/{session}/turns"
        json_header = {"content-type": "application/json"}
        assert _error(client.post(turns, content=b"not json", headers=json_header), 422) == "invalid_json"
        not_utf8 = client.post(turns, content=b'{"text": "\xff\xfe a coke"}', headers=json_header)
        assert _error(not_utf8, 400) == "invalid_body"
        assert _error(client.post(turns, json={"text": 42}), 422) == "invalid_request"
        assert _error(client.post(turns, json={"text": ""}), 422) == "invalid_request"
        assert _error(client.post(turns, json={"txt": "a coke"}), 422) == "invalid_request"
        assert _error(client.post(turns, json={"text": "a coke " * 200}), 422) == "text_too_long"
        assert (
            _error(client.post(turns, content=b"x" * (10 * 1024 * 1024), headers=json_header), 413)
            == "body_too_large"
        )
        assert (
            _error(client.post("/v1/sessions/" + "a" * 32 + "/turns", json={"text": "a coke"}), 404)
            == "unknown_session"
        )
        assert _error(client.post("/v1/sessions/not-an-id/turns", json={"text": "a coke"}), 422)
        assert (
            _error(client.post("/v1/stores/burger/sessions", json={"daypart": "midnight"}), 422)
            == "unknown_daypart"
        )
        assert (
            _error(client.put("/v1/stores/burger/availability", json={"unavailable": ["caviar"]}), 422)
            == "unknown_ids"
        )
        assert _error(client.get("/v1/stores/burger/orders", params={"limit": 0}), 422) == "invalid_request"
        # none of that touched the session: it still takes an order
        assert say(client, session, "a small fries")["order"]["lines"]  # type: ignore[index]


def test_readiness_and_metrics(server: Server) -> None:
    with server.client(server.demo_key("burger")) as client:
        ready = client.get("/readyz").json()
        metrics = client.get("/metrics").text
    assert ready["ready"] is True and ready["checks"]["redis"] == "ok"
    assert ready["checks"]["slm"]["status"] in ("ok", "degraded")
    assert ready["checks"]["slm"]["warmup_ms"] > 0
    for name in (
        "orderline_turns_total",
        "orderline_stage_ms_bucket",
        "orderline_slm_calls_total",
        "orderline_clarifying_questions_total",
        "orderline_handoffs_total",
        "orderline_live_sessions",
        "orderline_orders_submitted_total",
    ):
        assert name in metrics, name


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    from server_process import server_env

    data = tmp_path_factory.mktemp("small")
    env = server_env(
        data, ORDERLINE_NLU="rules", ORDERLINE_MAX_LIVE_SESSIONS="2", ORDERLINE_RATE_LIMIT_PER_MINUTE="40"
    )
    running = Server(data, env).start()
    yield running  # type: ignore[misc]
    running.stop()


def test_a_full_worker_sheds_new_sessions_and_keeps_live_ones(small_server: Server) -> None:
    with small_server.client(small_server.demo_key("burger")) as client:
        first = open_session(client, "burger")
        open_session(client, "burger")
        full = client.post("/v1/stores/burger/sessions", json={})
        assert _error(full, 503) == "worker_full"
        assert int(full.headers["retry-after"]) > 0
        assert say(client, first, "a cheeseburger")["order"]["lines"]  # type: ignore[index]


def test_rate_limit_per_key(small_server: Server) -> None:
    key = small_server.create_key("pizza", "client")
    with small_server.client(key) as client:
        codes = [client.get("/v1/stores/pizza/menu").status_code for _ in range(45)]
        limited = client.get("/v1/stores/pizza/menu")
    assert codes[:30] == [200] * 30
    assert _error(limited, 429) == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0
