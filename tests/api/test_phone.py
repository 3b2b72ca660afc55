"""A phone call over Twilio Media Streams, message for message, against the real server: the TwiML webhook
checks Twilio's signature and hands out a token; the socket refuses calls without a valid one; replies come
back as µ-law media with a mark per sentence; barge-in gives ``clear``; DTMF 0 transfers the call through the
Calls API; the order lands on the store's stream once."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import websockets
import yaml
from server_process import Server, server_env

from orderline.bench import voice as voice_bench
from orderline.clients.phone import PhoneCall, answer_call, run_call
from orderline.transports import twilio

TOKEN = "test-auth-token-0123456789"


class Recorder(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        Recorder.calls.append(
            {
                "path": self.path,
                "form": dict(urllib.parse.parse_qsl(body)),
                "auth": self.headers.get("authorization"),
            }
        )
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "in-progress"}')

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[str]:
    http = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory: pytest.TempPathFactory, twilio_api: str) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("phone")
    stores = data / "stores.yaml"
    phone = {
        "account_sid": "AC" + "1" * 32,
        "auth_token_env": "TWILIO_AUTH_TOKEN_BURGER",
        "transfer_number": "+15550100",
        "api_base": twilio_api,
    }
    stores.write_text(
        yaml.safe_dump(
            {"stores": [{"id": "burger", "name": "Burger Barn", "menu": "burger", "phone": phone}]}
        )
    )
    env = server_env(
        data, ORDERLINE_NLU="rules", ORDERLINE_STORES_FILE=str(stores), TWILIO_AUTH_TOKEN_BURGER=TOKEN
    )
    running = Server(data, env).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def speaker(tmp_path_factory: pytest.TempPathFactory) -> voice_bench.Speaker:
    return voice_bench.customer_speaker(tmp_path_factory.mktemp("voices"))


def _webhook(server: Server) -> str:
    return f"{server.url}/v1/phone/twilio/voice?store=burger"


def test_the_webhook_needs_twilio_s_signature(phone_server: Server) -> None:
    import httpx

    params = {"CallSid": "CA" + "2" * 32}
    unsigned = httpx.post(_webhook(phone_server), data=params)
    assert unsigned.status_code == 403 and unsigned.json()["error"]["code"] == "bad_signature"
    forged = httpx.post(
        _webhook(phone_server),
        data=params,
        headers={"X-Twilio-Signature": twilio.signature("wrong", _webhook(phone_server), params)},
    )
    assert forged.status_code == 403
    url, parameters = answer_call(_webhook(phone_server), TOKEN, "CA" + "3" * 32)
    assert url.startswith("ws://") and url.endswith("/v1/phone/twilio")
    assert parameters["store"] == "burger" and parameters["token"]


def test_a_call_orders_and_the_order_lands_once(phone_server: Server, speaker: voice_bench.Speaker) -> None:
    texts = ["a cheeseburger with no onions", "that's it", "no thanks", "yes"]  # a drink is offered once
    call, turns = asyncio.run(run_call(_webhook(phone_server), TOKEN, [(t, speaker.say(t)) for t in texts]))
    media = [m for m in call.received if m["event"] == "media"]
    assert media and all(m["streamSid"] == call.stream_sid for m in call.received)
    assert all(
        len(__import__("base64").b64decode(m["media"]["payload"])) <= twilio.FRAME_BYTES for m in media
    )
    sent_marks = call.marks_sent_by_server()
    assert sent_marks and set(call.echoed_marks) <= set(sent_marks)
    assert all(t.first_audio_ms is not None for t in turns)
    with phone_server.client(phone_server.demo_key("burger")) as crew:
        orders = crew.get("/v1/stores/burger/orders").json()["orders"]
    phone_orders = [o for o in orders if o["channel"] == "phone"]
    assert len(phone_orders) == 1
    lines = phone_orders[0]["ticket"]["lines"]
    assert [line["item"] for line in lines] == ["cheeseburger"]
    assert lines[0]["modifiers"][0]["code"] == "-onions"


def test_barge_in_sends_clear(phone_server: Server, speaker: voice_bench.Speaker) -> None:
    async def main() -> PhoneCall:
        call_sid = "CA" + "4" * 32
        url, params = answer_call(_webhook(phone_server), TOKEN, call_sid)
        async with PhoneCall(url, params, call_sid) as call:
            await call.listen(0.3)  # the greeting starts; the caller talks over it
            await call.media(speaker.say("can i get a double cheeseburger and a large fries please"))
            await call.listen(2.0)
            return call

    call = asyncio.run(main())
    assert any(m["event"] == "clear" and m["streamSid"] == call.stream_sid for m in call.received)


def test_dtmf_zero_transfers_the_call(phone_server: Server, speaker: voice_bench.Speaker) -> None:
    Recorder.calls.clear()
    call, _ = asyncio.run(
        run_call(
            _webhook(phone_server), TOKEN, [("a hamburger", speaker.say("a hamburger"))], hang_up_dtmf="0"
        )
    )
    assert len(Recorder.calls) == 1
    request = Recorder.calls[0]
    assert request["path"] == f"/2010-04-01/Accounts/AC{'1' * 32}/Calls/{call.call_sid}.json"
    assert "<Dial>+15550100</Dial>" in request["form"]["Twiml"]
    assert request["auth"].startswith("Basic ")


async def _raw(server: Server, messages: list[str | bytes]) -> tuple[int, str]:
    async with websockets.connect(server.url.replace("http", "ws") + "/v1/phone/twilio") as ws:
        for message in messages:
            await ws.send(message)
        try:
            await asyncio.wait_for(ws.recv(), 5)
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code, closed.rcvd.reason
    return 0, ""


def _start(token: str | None, call_sid: str = "CA" + "5" * 32) -> str:
    params = {"token": token} if token is not None else {}
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "streamSid": "MZ" + "6" * 32,
            "start": {
                "callSid": call_sid,
                "streamSid": "MZ" + "6" * 32,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": params,
            },
        }
    )


def _media(stream_sid: str, payload: str) -> str:
    return json.dumps(
        {
            "event": "media",
            "streamSid": stream_sid,
            "media": {"payload": payload, "timestamp": "20", "chunk": "1"},
        }
    )


def test_bad_messages_close_the_socket_with_a_reason(phone_server: Server) -> None:
    _, params = answer_call(_webhook(phone_server), TOKEN, "CA" + "5" * 32)
    good = params["token"]
    cases: list[tuple[list[str | bytes], int]] = [
        ([b"\x00\x01binary"], 1003),
        (["not json"], 1003),
        ([json.dumps({"event": "hangup", "streamSid": "MZ1"})], 1008),
        ([_start(None)], 4401),
        ([_start("forged.token")], 4401),
        ([_start(good, call_sid="CA" + "9" * 32)], 4403),
        ([_start(good), _media("MZ" + "6" * 32, "%%%not-base64")], 1008),
        ([_start(good), _media("MZ" + "7" * 32, "AAAA")], 1008),
        ([_media("MZ" + "6" * 32, "AAAA")], 1008),
    ]
    for messages, code in cases:
        got, reason = asyncio.run(_raw(phone_server, messages))
        assert got == code, (messages[-1], got, reason)
        assert reason
    # the server still takes calls
    _, params = answer_call(_webhook(phone_server), TOKEN, "CA" + "8" * 32)
    assert params["token"]


def test_a_full_worker_apologises_and_transfers_a_new_call(
    tmp_path: Path, twilio_api: str, phone_server: Server
) -> None:
    """Shedding on the phone: the caller is not dropped but told (Twilio says it) and sent to the store."""
    stores = phone_server.data_dir / "stores.yaml"
    env = {**phone_server.env, "ORDERLINE_DATA_DIR": str(tmp_path), "ORDERLINE_MAX_LIVE_SESSIONS": "1"}
    server = Server(tmp_path, {**env, "ORDERLINE_STORES_FILE": str(stores)}).start()
    try:
        with server.client(server.demo_key("burger")) as client:  # the one live session this worker holds
            assert client.post("/v1/stores/burger/sessions", json={}).status_code == 201
        Recorder.calls.clear()
        call_sid = "CA" + "7" * 32
        _url, params = answer_call(f"{server.url}/v1/phone/twilio/voice?store=burger", TOKEN, call_sid)
        code, reason = asyncio.run(_raw(server, [_start(params["token"], call_sid)]))
        assert code == 1013, reason
        assert len(Recorder.calls) == 1
        twiml = Recorder.calls[0]["form"]["Twiml"]
        assert "<Say>" in twiml and "<Dial>+15550100</Dial>" in twiml
        assert Recorder.calls[0]["path"].endswith(f"/Calls/{call_sid}.json")
    finally:
        server.stop()
