"""The drive-thru lane websocket against the real server: synthesized speech streamed in real time to a
submitted order; replies sentence by sentence; barge-in; crew takeover; bad input closes with a reason."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import websockets
from server_process import Server

from orderline.bench import voice as voice_bench
from orderline.clients.lane import LaneClient


@pytest.fixture(scope="module")
def speaker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[voice_bench.Speaker]:
    yield voice_bench.customer_speaker(tmp_path_factory.mktemp("voices"))


def _url(server: Server, store: str = "burger") -> str:
    return server.url.replace("http", "ws") + f"/v1/stores/{store}/lanes/1/stream"


ANSWERS = {"upsell": "no thanks", "readback": "yes", "taking_order": "that's it"}
"""What a customer who is done says in each state (the flow may offer an upsell first)."""


def test_a_spoken_order_is_submitted_once(server: Server, speaker: voice_bench.Speaker) -> None:
    async def main() -> tuple[LaneClient, list[Any]]:
        async with LaneClient(_url(server), server.demo_key("burger")) as lane:
            first = "a cheeseburger with no onions and a large coke"
            turns = [await lane.turn(speaker.say(first), first)]
            while turns[-1].state in ANSWERS and len(turns) < 6:
                text = ANSWERS[turns[-1].state]
                turns.append(await lane.turn(speaker.say(text), text))
            return lane, turns

    lane, turns = asyncio.run(main())
    assert turns[-1].state == "submitted", [(t.transcript, t.reply) for t in turns]
    assert "no onions" in turns[0].reply
    assert all(t.first_audio_ms is not None and t.reply_audio.size > 0 for t in turns)
    # the readback has several sentences: the first went out before the second was synthesized
    n_readback = next(n for n, t in enumerate(turns, 1) if t.state == "readback")
    readback = [e for e in lane.events if e.get("turn") == n_readback and e["type"] == "speaking_started"]
    assert len(readback) >= 2
    with server.client(server.demo_key("burger")) as crew:
        orders = crew.get("/v1/stores/burger/orders", params={"limit": 200}).json()["orders"]
        session = crew.get(f"/v1/sessions/{lane.session_id}").json()
    mine = [o for o in orders if o["session_id"] == lane.session_id]
    assert len(mine) == 1 and mine[0]["channel"] == "lane"
    assert session["turns"][0]["timings"]["asr_ms"] > 0


def test_a_customer_who_pauses_mid_order_is_not_cut_off(server: Server, speaker: voice_bench.Speaker) -> None:
    """ "a number one with ... a coke": words that stop on "with" wait for the customer to go on (the pause
    outlasts the silence endpoint, and speech that resumes while the first part is still being heard
    counts); both parts are one turn, and nothing is said during the pause."""
    gap = np.zeros(16000 * 600 // 1000, dtype=np.float32)

    async def main() -> LaneClient:
        async with LaneClient(_url(server), server.demo_key("burger")) as lane:
            await lane.send_realtime(np.concatenate([speaker.say("a number one with"), gap]))
            assert not [e for e in lane.events if e["type"] == "reply"], "replied during the pause"
            await lane.turn(speaker.say("a coke"), "a coke")
            return lane

    lane = asyncio.run(main())
    transcripts = [e["text"] for e in lane.events if e["type"] == "transcript"]
    assert len(transcripts) == 1, transcripts
    order = next(e for e in lane.events if e["type"] == "order")["order"]
    # (what Whisper makes of the joined audio varies with the synthesized voice: only the meal is asserted)
    assert "combo_1" in [line["item"] for line in order["lines"]], (transcripts, order["lines"])


def test_talking_over_a_reply_stops_it_and_the_log_keeps_what_was_heard(
    server: Server, speaker: voice_bench.Speaker
) -> None:
    async def main() -> LaneClient:
        async with LaneClient(_url(server), server.demo_key("burger")) as lane:
            await lane.turn(speaker.say("two cheeseburgers and a large fries and a medium sprite"), "order")
            await lane.send_realtime(speaker.say("that's it"))
            await lane.wait_for("speaking_started", turn=2, sentence=0)
            await asyncio.sleep(0.8)  # the readback is playing
            await lane.send_realtime(speaker.say("wait actually make the sprite a large one please"))
            await lane.wait_for("barge_in", confirmed=True)
            await lane.wait_for("clear")
            await lane.wait_for("reply", turn=3)
            return lane

    lane = asyncio.run(main())
    stopped = [e for e in lane.events if e["type"] == "speaking_stopped" and e.get("turn") == 2]
    assert stopped and stopped[0]["interrupted"] is True
    with server.client(server.demo_key("burger")) as crew:
        session = crew.get(f"/v1/sessions/{lane.session_id}").json()
    readback = next(t for t in session["turns"] if t["n"] == 2)
    assert readback["said"] is not None and len(" ".join(readback["said"])) < len(readback["reply"])


def test_crew_takeover_stops_the_engine_until_handed_back(
    server: Server, speaker: voice_bench.Speaker
) -> None:
    crew_key = server.create_key("burger", "crew")

    async def main() -> LaneClient:
        async with LaneClient(_url(server), crew_key) as lane:
            await lane._ws.send(json.dumps({"type": "takeover"}))
            await lane.wait_for("takeover")
            await lane.send_realtime(speaker.say("a chocolate shake"))
            await lane.send_realtime(np.zeros(16000 * 2, dtype=np.float32))
            assert not [e for e in lane.events if e["type"] == "reply"]  # nothing acted on
            await lane._ws.send(json.dumps({"type": "handback"}))
            await lane.wait_for("handback")
            turn = await lane.turn(speaker.say("a small fries"), "a small fries")
            assert turn.state == "taking_order"
            return lane

    asyncio.run(main())


def test_a_lane_client_key_cannot_take_over(server: Server) -> None:
    client_key = server.create_key("burger", "client")

    async def main() -> dict[str, Any]:
        async with LaneClient(_url(server), client_key) as lane:
            await lane._ws.send(json.dumps({"type": "takeover"}))
            return await lane.wait_for("error", code="forbidden_role")

    assert asyncio.run(main())["message"]


async def _refused(
    url: str, hello: dict[str, Any] | None, frames: list[bytes | str] = ()
) -> tuple[int, str, list[Any]]:  # type: ignore[assignment]
    events: list[Any] = []
    async with websockets.connect(url, max_size=2**24) as ws:
        if hello is not None:
            await ws.send(json.dumps(hello))
        for frame in frames:
            await ws.send(frame)
        try:
            while True:
                message = await asyncio.wait_for(ws.recv(), 20)
                if isinstance(message, str):
                    events.append(json.loads(message))
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code, closed.rcvd.reason, events
        except TimeoutError:
            return 0, "", events


def test_bad_input_closes_with_a_clear_code(server: Server) -> None:
    key = server.demo_key("burger")
    url = _url(server)
    hello = {"type": "hello", "key": key, "format": "pcm_s16le", "sample_rate": 16000}
    cases = [
        (None, ["not json"], 1003),
        ({**hello, "sample_rate": 8000}, [], 1003),
        ({**hello, "format": "opus"}, [], 1003),
        ({**hello, "key": None}, [], 4401),
        ({**hello, "key": "olk_nope_nope"}, [], 4401),
        ({**hello, "session_id": "f" * 32}, [], 4404),
    ]
    for first, frames, code in cases:
        got, reason, events = asyncio.run(_refused(url, first, frames))
        assert got == code, (first, got, reason, events)
        assert reason and events and events[-1]["type"] == "error"
    got, _, _ = asyncio.run(_refused(_url(server, "pizza"), hello))  # a burger key at the pizza store
    assert got == 4403
    big, _, _ = asyncio.run(_refused(url, hello, [b"\x00" * (10 * 1024 * 1024)]))
    assert big == 1009


def test_an_odd_frame_is_refused_and_the_session_goes_on(
    server: Server, speaker: voice_bench.Speaker
) -> None:
    async def main() -> Any:
        async with LaneClient(_url(server), server.demo_key("burger")) as lane:
            await lane._ws.send(b"\x01\x02\x03")
            await lane.wait_for("error", code="bad_frame")
            await lane._ws.send(json.dumps({"type": "dance"}))
            await lane.wait_for("error", code="unknown_message")
            return await lane.turn(speaker.say("a medium coke"), "a medium coke")

    assert asyncio.run(main()).state == "taking_order"
