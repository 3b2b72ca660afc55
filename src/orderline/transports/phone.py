"""A phone call over Twilio Media Streams: µ-law 8 kHz in and out, marks echoed back, ``clear`` on barge-in,
and the hand-off to the crew as a REST call to Twilio's Calls API. The JSON lives in ``transports.twilio``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx
import numpy as np
import structlog
from numpy.typing import NDArray

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.codecs import Resampler, float_to_pcm16, mulaw_decode, mulaw_encode, pcm16_to_float
from orderline.engine.stores import PhoneConfig
from orderline.transports import twilio

Float32Array = NDArray[np.float32]
log = structlog.get_logger("orderline.transports.phone")


class TextSocket(Protocol):
    async def send_text(self, data: str) -> None: ...


class PhoneIn:
    """Caller audio: µ-law 8 kHz bytes -> 16 kHz float32 for the runner (filter state kept across frames)."""

    def __init__(self) -> None:
        self._up = Resampler(twilio.RATE, SAMPLE_RATE)

    def decode(self, mulaw: bytes) -> Float32Array:
        return self._up.process(pcm16_to_float(mulaw_decode(mulaw)))


class PhoneOut:
    """:class:`~orderline.transports.runner.AudioOut` over a Twilio media stream (8 kHz µ-law, 20 ms frames)."""

    out_rate = twilio.RATE

    def __init__(
        self,
        socket: TextSocket,
        stream_sid: str,
        on_event: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.socket = socket
        self.stream_sid = stream_sid
        self.on_event = on_event
        self.sent_marks: list[str] = []

    async def audio(self, pcm: Float32Array) -> None:
        await self.socket.send_text(twilio.media(self.stream_sid, mulaw_encode(float_to_pcm16(pcm))))

    async def mark(self, name: str) -> None:
        self.sent_marks.append(name)
        await self.socket.send_text(twilio.mark(self.stream_sid, name))

    async def clear(self) -> None:
        await self.socket.send_text(twilio.clear(self.stream_sid))

    async def event(self, kind: str, data: dict[str, Any]) -> None:
        """Twilio carries no JSON events to the caller: they are logged, and a hand-off transfers the call."""
        log.info(
            "phone_event",
            kind=kind,
            stream=self.stream_sid,
            **{k: v for k, v in data.items() if k != "order"},
        )
        if self.on_event is not None:
            await self.on_event(kind, data)


async def transfer(
    config: PhoneConfig, call_sid: str, client: httpx.AsyncClient | None = None, *, say: str | None = None
) -> int:
    """Send the call to the crew: update it with ``<Dial>`` to the store's number (Twilio's Calls API).

    Returns the HTTP status. Raises ``httpx.HTTPError`` on a transport failure.
    """
    token = config.auth_token()
    if token is None:
        raise RuntimeError(f"no Twilio auth token in ${config.auth_token_env}")
    url = f"{config.api_base.rstrip('/')}/2010-04-01/Accounts/{config.account_sid}/Calls/{call_sid}.json"
    owned = client is None
    http = client or httpx.AsyncClient(timeout=10)
    try:
        response = await http.post(
            url, data={"Twiml": twilio.dial(config.transfer_number, say)}, auth=(config.account_sid, token)
        )
        log.info("call_transferred", call=call_sid, status=response.status_code, to=config.transfer_number)
        return response.status_code
    finally:
        if owned:
            await http.aclose()


def silence_frame() -> bytes:
    """20 ms of µ-law silence."""
    return mulaw_encode(np.zeros(twilio.FRAME_BYTES, dtype=np.int16))
