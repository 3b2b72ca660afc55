"""A drive-thru lane client: streams customer turns in real time over the lane websocket, waits for each
reply as a customer would, and measures end of speech to the first reply audio byte at the client."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import websockets

from orderline.clients.timing import ClientTurn, Float32Array, speech_end_s
from orderline.transports import lane as wire

CHUNK_MS = 20


class LaneClient:
    """One lane connection. ``async with LaneClient(url, key) as lane: await lane.turn(audio, "text")``."""

    def __init__(
        self, url: str, key: str, *, session_id: str | None = None, reply_timeout_s: float = 30.0
    ) -> None:
        self.url = url
        self.key = key
        self.session_id = session_id
        self.reply_timeout_s = reply_timeout_s
        self.events: list[dict[str, Any]] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._current: ClientTurn | None = None
        self._changed = asyncio.Event()
        self.greeting_audio: list[Float32Array] = []
        self._mic: asyncio.Task[None] | None = None
        self._speech: collections.deque[bytes] = collections.deque()
        self._spoken: asyncio.Future[float] | None = None
        self._speech_end: float | None = None  # when the current turn's last voiced sample was sent

    async def __aenter__(self) -> LaneClient:
        self._ws = await websockets.connect(self.url, max_size=2**22)
        hello: dict[str, Any] = {
            "type": "hello",
            "key": self.key,
            "format": wire.FORMAT,
            "sample_rate": wire.RATE,
        }
        if self.session_id:
            hello["session_id"] = self.session_id
        await self._ws.send(json.dumps(hello))
        self._reader = asyncio.create_task(self._read())
        self._mic = asyncio.create_task(self._microphone())
        ready = await self.wait_for("ready")
        self.session_id = ready["session_id"]
        await self.wait_for("speaking_stopped", turn=0)  # listen to the greeting, as a customer does
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self._ws.send(json.dumps({"type": "bye"}))
        with contextlib.suppress(Exception):
            await self._ws.close()
        for task in (self._mic, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _read(self) -> None:
        async for message in self._ws:
            now = time.perf_counter()
            if isinstance(message, bytes):
                pcm = wire.decode_audio(message)
                turn = self._current
                if turn is None:
                    self.greeting_audio.append(pcm)
                else:
                    if turn.first_audio_ms is None and self._speech_end is not None:
                        turn.first_audio_ms = (now - self._speech_end) * 1000
                    turn.audio.append(pcm)
            else:
                event = json.loads(message)
                self.events.append(event)
                self._note(event)
            self._changed.set()

    def _note(self, event: dict[str, Any]) -> None:
        turn = self._current
        if turn is None:
            return
        kind = event.get("type")
        if kind == "transcript":
            turn.transcript = event["text"]
        elif kind == "reply":
            turn.reply = event["text"]
        elif kind == "order":
            turn.state = event["state"]
            turn.total = event["order"]["total"]
        elif kind == "first_audio":
            turn.server["first_audio_ms"] = event["ms"]

    async def wait_for(self, kind: str, timeout_s: float | None = None, **match: Any) -> dict[str, Any]:
        """The first event of ``kind`` (and matching fields) received so far or next."""
        deadline = time.monotonic() + (timeout_s or self.reply_timeout_s)
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("type") == kind and all(event.get(k) == v for k, v in match.items()):
                    return event
                if event.get("type") == "error" and kind != "error":
                    raise RuntimeError(f"server error: {event}")
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0 or (self._reader is not None and self._reader.done()):
                raise TimeoutError(f"no {kind} event {match or ''} within the timeout")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def _microphone(self) -> None:
        """An open microphone: 20 ms frames in real time, silence when the customer is not speaking."""
        size = wire.RATE * CHUNK_MS // 1000
        silence = wire.encode_audio(np.zeros(size, dtype=np.float32))
        started = time.perf_counter()
        n = 0
        while True:
            frame = self._speech.popleft() if self._speech else silence
            await self._ws.send(frame)
            if not self._speech and self._spoken is not None and not self._spoken.done():
                self._spoken.set_result(time.perf_counter())
            n += 1
            delay = started + n * CHUNK_MS / 1000 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)

    async def send_realtime(self, audio: Float32Array) -> float:
        """Say ``audio`` into the open microphone (real-time pace); returns when its last frame was sent."""
        size = wire.RATE * CHUNK_MS // 1000
        samples = np.asarray(audio, dtype=np.float32)
        self._spoken = asyncio.get_running_loop().create_future()
        self._speech.extend(wire.encode_audio(samples[i : i + size]) for i in range(0, samples.size, size))
        return float(await self._spoken)

    async def turn(self, audio: Float32Array, said: str = "") -> ClientTurn:
        """Say one turn, keep the microphone open (silence) until the reply has been spoken, return it."""
        turns_before = sum(1 for e in self.events if e.get("type") == "reply")
        turn = ClientTurn(said=said)
        self._current = turn
        self._speech_end = None
        samples = np.asarray(audio, dtype=np.float32)
        sent = await self.send_realtime(samples)
        # end of speech: the last voiced sample, sent in real time (not the recording's trailing silence)
        self._speech_end = sent - (samples.size / wire.RATE - speech_end_s(samples, wire.RATE))
        deadline = time.monotonic() + self.reply_timeout_s
        while time.monotonic() < deadline:
            replies = [e for e in self.events if e.get("type") == "reply"]
            if len(replies) > turns_before:
                n = replies[-1]["turn"]
                if any(e.get("type") == "speaking_stopped" and e.get("turn") == n for e in self.events):
                    break
                if any(
                    e.get("type") == "reply" and e.get("turn") == n and not e.get("text") for e in self.events
                ):
                    break
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.1)
        self._current = None
        return turn


async def run_lane(
    url: str, key: str, turns: Sequence[tuple[str, Float32Array]]
) -> tuple[str, list[ClientTurn]]:
    """One conversation: (session id, each turn as the client saw it)."""
    async with LaneClient(url, key) as lane:
        out = [await lane.turn(audio, said) for said, audio in turns]
        return lane.session_id or "", out
