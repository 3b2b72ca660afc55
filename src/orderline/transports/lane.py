"""The drive-thru lane wire format (see docs/protocols.md): a JSON ``hello``, then binary PCM16 frames in,
binary PCM16 reply audio and JSON events out. This module knows the lane protocol; nothing else does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.codecs import AudioFormatError, float_to_pcm16, pcm16_to_float

Float32Array = NDArray[np.float32]

FORMAT = "pcm_s16le"
"""The only sample format: signed 16-bit little-endian, mono."""
RATE = SAMPLE_RATE

# websocket close codes
CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_LATER = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class LaneProtocolError(Exception):
    """The client broke the protocol; ``close_code`` says how the socket is closed (None: keep it open)."""

    def __init__(self, code: str, message: str, close_code: int | None = CLOSE_UNSUPPORTED) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code


@dataclass(frozen=True)
class Hello:
    key: str | None
    sample_rate: int
    format: str
    session_id: str | None


def parse_hello(text: str) -> Hello:
    """The first message.

    Raises:
        LaneProtocolError: not JSON, not a hello, or an audio format the lane does not take.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON; an int past Python's digit limit; nesting too deep
        raise LaneProtocolError(
            "bad_message", "the first message must be a JSON hello", CLOSE_UNSUPPORTED
        ) from None
    if not isinstance(data, dict) or data.get("type") != "hello":
        raise LaneProtocolError("expected_hello", 'the first message must be {"type": "hello", ...}')
    rate = data.get("sample_rate", RATE)
    fmt = data.get("format", FORMAT)
    channels = data.get("channels", 1)
    if fmt != FORMAT or channels != 1:
        raise LaneProtocolError(
            "unsupported_format", f"audio must be {FORMAT} mono, got {fmt!r} x{channels!r}"
        )
    if rate != RATE:
        raise LaneProtocolError("unsupported_rate", f"audio must be {RATE} Hz, got {rate!r}")
    key = data.get("key")
    session = data.get("session_id")
    if key is not None and not isinstance(key, str):
        raise LaneProtocolError("bad_message", "key must be a string", CLOSE_POLICY)
    if session is not None and not isinstance(session, str):
        raise LaneProtocolError("bad_message", "session_id must be a string", CLOSE_POLICY)
    return Hello(key=key, sample_rate=rate, format=fmt, session_id=session)


def decode_audio(frame: bytes) -> Float32Array:
    """A binary frame of customer audio as float32.

    Raises:
        LaneProtocolError: an odd number of bytes (the frame is refused; the socket stays open).
    """
    try:
        return pcm16_to_float(frame)
    except AudioFormatError as exc:
        raise LaneProtocolError("bad_frame", str(exc), close_code=None) from None


def encode_audio(pcm: Float32Array) -> bytes:
    return float_to_pcm16(pcm).astype("<i2").tobytes()


def parse_control(text: str) -> dict[str, Any]:
    """A JSON control message after the hello (takeover, handback, bye).

    Raises:
        LaneProtocolError: not a JSON object with a known ``type`` (the socket stays open).
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # as in parse_hello
        raise LaneProtocolError("bad_message", "control messages are JSON objects", close_code=None) from None
    if not isinstance(data, dict) or data.get("type") not in ("takeover", "handback", "bye"):
        raise LaneProtocolError("unknown_message", "known messages: takeover, handback, bye", close_code=None)
    return data


class Socket(Protocol):
    async def send_bytes(self, data: bytes) -> None: ...

    async def send_text(self, data: str) -> None: ...


class LaneOut:
    """:class:`~orderline.transports.runner.AudioOut` over a lane websocket."""

    out_rate = RATE

    def __init__(self, socket: Socket) -> None:
        self.socket = socket

    async def audio(self, pcm: Float32Array) -> None:
        await self.socket.send_bytes(encode_audio(pcm))

    async def mark(self, name: str) -> None:
        await self.event("mark", {"name": name})

    async def clear(self) -> None:
        await self.event("clear", {})

    async def event(self, kind: str, data: dict[str, Any]) -> None:
        await self.socket.send_text(json.dumps({"type": kind, **data}))
