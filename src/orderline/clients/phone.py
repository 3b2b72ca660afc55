"""A phone-line client that plays Twilio's part: answers the TwiML webhook (signed), opens the media stream,
speaks turns as 20 ms µ-law frames in real time, plays the replies back at real time (echoing each mark once
the audio before it has played, dropping buffered audio on ``clear``), and measures end of speech to the
first reply audio byte."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

import httpx
import numpy as np
import websockets

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.codecs import float_to_pcm16, mulaw_decode, mulaw_encode, pcm16_to_float, resample
from orderline.clients.timing import ClientTurn, Float32Array, speech_end_s
from orderline.transports import twilio

FRAME_MS = 20


def answer_call(
    webhook_url: str, auth_token: str, call_sid: str, account_sid: str = "AC" + "0" * 32
) -> tuple[str, dict[str, str]]:
    """POST the voice webhook as Twilio would; return the stream URL and its parameters from the TwiML."""
    params = {"CallSid": call_sid, "AccountSid": account_sid, "From": "+15550001111", "To": "+15550002222"}
    headers = {"X-Twilio-Signature": twilio.signature(auth_token, webhook_url, params)}
    response = httpx.post(webhook_url, data=params, headers=headers, timeout=30)
    response.raise_for_status()
    root = ElementTree.fromstring(response.text)
    stream = root.find("./Connect/Stream")
    if stream is None:
        raise RuntimeError(f"no <Connect><Stream> in {response.text!r}")
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    return stream.get("url", ""), parameters


class PhoneCall:
    """One call over the media stream, Twilio's side."""

    def __init__(
        self, stream_url: str, parameters: dict[str, str], call_sid: str, *, reply_timeout_s: float = 30.0
    ) -> None:
        self.url = stream_url
        self.parameters = parameters
        self.call_sid = call_sid
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.reply_timeout_s = reply_timeout_s
        self.sent: list[dict[str, Any]] = []  # what this side sent (fixtures for tests)
        self.received: list[dict[str, Any]] = []
        self.echoed_marks: list[str] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._player: asyncio.Task[None] | None = None
        self._buffer: list[tuple[str, Any]] = []  # ("audio", seconds) or ("mark", name), in arrival order
        self._seq = 0
        self._chunk = 0
        self._current: ClientTurn | None = None
        self._speech_end: float | None = None
        self.closed_with: tuple[int, str] | None = None

    async def _send(self, message: dict[str, Any]) -> None:
        self._seq += 1
        message = {**message, "sequenceNumber": str(self._seq)}
        self.sent.append(message)
        await self._ws.send(json.dumps(message))

    async def __aenter__(self) -> PhoneCall:
        self._ws = await websockets.connect(self.url, max_size=2**22)
        self._reader = asyncio.create_task(self._read())
        self._player = asyncio.create_task(self._play())
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self._send(
            {
                "event": "start",
                "streamSid": self.stream_sid,
                "start": {
                    "accountSid": "AC" + "0" * 32,
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": twilio.ENCODING, "sampleRate": twilio.RATE, "channels": 1},
                    "customParameters": self.parameters,
                },
            }
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self._send(
                {
                    "event": "stop",
                    "streamSid": self.stream_sid,
                    "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid},
                }
            )
        with contextlib.suppress(Exception):
            await self._ws.close()
        for task in (self._reader, self._player):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                self.received.append(message)
                kind = message.get("event")
                if kind == "media":
                    mulaw = base64.b64decode(message["media"]["payload"])
                    turn = self._current
                    if turn is not None:
                        if turn.first_audio_ms is None and self._speech_end is not None:
                            turn.first_audio_ms = (time.perf_counter() - self._speech_end) * 1000
                        turn.audio.append(pcm16_to_float(mulaw_decode(mulaw)))
                    self._buffer.append(("audio", len(mulaw) / twilio.RATE))
                elif kind == "mark":
                    self._buffer.append(("mark", message["mark"]["name"]))
                elif kind == "clear":  # drop buffered audio; Twilio echoes the marks that were cleared
                    marks = [v for k, v in self._buffer if k == "mark"]
                    self._buffer.clear()
                    for name in marks:
                        await self._echo(name)
        except websockets.ConnectionClosed as closed:
            if closed.rcvd is not None:
                self.closed_with = (closed.rcvd.code, closed.rcvd.reason)

    async def _echo(self, name: str) -> None:
        self.echoed_marks.append(name)
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def _play(self) -> None:
        """Play buffered reply audio at real time; a mark is echoed when the audio before it has played."""
        while True:
            if not self._buffer:
                await asyncio.sleep(0.01)
                continue
            kind, value = self._buffer.pop(0)
            if kind == "audio":
                await asyncio.sleep(float(value))
            else:
                await self._echo(str(value))

    async def media(self, audio16k: Float32Array) -> None:
        """Send audio (16 kHz float) as 20 ms µ-law frames in real time."""
        mulaw = mulaw_encode(float_to_pcm16(resample(audio16k, SAMPLE_RATE, twilio.RATE)))
        started = time.perf_counter()
        for n, start in enumerate(range(0, len(mulaw), twilio.FRAME_BYTES)):
            self._chunk += 1
            payload = base64.b64encode(mulaw[start : start + twilio.FRAME_BYTES]).decode()
            await self._send(
                {
                    "event": "media",
                    "streamSid": self.stream_sid,
                    "media": {
                        "track": "inbound",
                        "chunk": str(self._chunk),
                        "timestamp": str(self._chunk * FRAME_MS),
                        "payload": payload,
                    },
                }
            )
            delay = started + (n + 1) * FRAME_MS / 1000 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)

    async def dtmf(self, digit: str) -> None:
        await self._send(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )

    async def wait_until_played(self) -> None:
        """Keep the line open until the reply audio received so far has been played (the greeting, say)."""
        await self.listen(0.5)
        while self._buffer:
            await self.listen(0.2)

    async def listen(self, seconds: float) -> None:
        """Keep the line open (silence) for ``seconds``."""
        await self.media(np.zeros(int(SAMPLE_RATE * seconds), dtype=np.float32))

    def marks_sent_by_server(self) -> list[str]:
        return [m["mark"]["name"] for m in self.received if m.get("event") == "mark"]

    async def turn(self, audio16k: Float32Array, said: str = "", quiet_after_s: float = 1.5) -> ClientTurn:
        """Say a turn; keep listening until the reply's audio has stopped arriving for ``quiet_after_s``."""
        turn = ClientTurn(said=said)
        self._current = turn
        self._speech_end = None
        started = time.perf_counter()
        await self.media(audio16k)
        self._speech_end = min(time.perf_counter(), started + speech_end_s(audio16k, SAMPLE_RATE))
        deadline = time.monotonic() + self.reply_timeout_s
        while time.monotonic() < deadline:
            before = len(turn.audio)
            await self.listen(quiet_after_s if turn.audio else 0.2)
            if turn.audio and len(turn.audio) == before and not self._buffer:
                break
        self._current = None
        return turn


async def run_call(
    webhook_url: str,
    auth_token: str,
    turns: Sequence[tuple[str, Float32Array]],
    *,
    hang_up_dtmf: str | None = None,
) -> tuple[PhoneCall, list[ClientTurn]]:
    """One call: answer the webhook, run the turns, optionally press a key at the end."""
    call_sid = "CA" + uuid.uuid4().hex
    url, params = answer_call(webhook_url, auth_token, call_sid)
    async with PhoneCall(url, params, call_sid) as call:
        await call.wait_until_played()  # the greeting
        out = [await call.turn(audio, said) for said, audio in turns]
        if hang_up_dtmf is not None:
            await call.dtmf(hang_up_dtmf)
            await call.listen(1.0)
        return call, out
