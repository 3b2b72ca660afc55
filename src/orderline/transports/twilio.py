"""Twilio Media Streams, exactly: the JSON messages of a bidirectional ``<Connect><Stream>``, G.711 µ-law at
8 kHz in base64, 20 ms frames, no WAV headers, ``streamSid`` on every message, strings where Twilio sends
strings. This module maps Twilio's JSON to typed messages and back, and signs/validates webhooks; nothing
else in Orderline sees Twilio JSON.

Inbound: ``connected``, ``start``, ``media``, ``dtmf``, ``mark``, ``stop``. Outbound: ``media``, ``mark``,
``clear``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ENCODING = "audio/x-mulaw"
RATE = 8000
FRAME_BYTES = 160
"""20 ms of µ-law at 8 kHz."""


class TwilioWireError(ValueError):
    """A message that is not valid Twilio Media Streams JSON (the socket is closed with ``close_code``)."""

    def __init__(self, message: str, close_code: int = 1008) -> None:
        super().__init__(message)
        self.close_code = close_code


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    encoding: str
    sample_rate: int
    channels: int
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Media:
    stream_sid: str
    payload: bytes  # µ-law bytes
    timestamp_ms: int
    chunk: int


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Stop:
    stream_sid: str
    call_sid: str


Inbound = Connected | Start | Media | Dtmf | Mark | Stop


def _object(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise TwilioWireError(f"{data.get('event')!r} message without a {key!r} object")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise TwilioWireError(f"field {key!r} must be a non-empty string")
    return value


def _int(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = data.get(key, default)
    try:
        return int(value)  # Twilio sends numbers as strings ("timestamp": "5")
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity (json reads it as a float)
        raise TwilioWireError(f"field {key!r} must be a number, got {value!r}") from None


def parse(text: str | bytes) -> Inbound:
    """One message from Twilio.

    Raises:
        TwilioWireError: a binary frame, not JSON, an unknown event, missing fields or bad base64.
    """
    if isinstance(text, bytes | bytearray):
        raise TwilioWireError("Twilio Media Streams messages are text frames, not binary", close_code=1003)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON; an int past Python's digit limit; nesting too deep
        raise TwilioWireError("message is not JSON", close_code=1003) from None
    if not isinstance(data, dict):
        raise TwilioWireError("message is not a JSON object", close_code=1003)
    event = data.get("event")
    if event == "connected":
        return Connected(protocol=str(data.get("protocol", "")), version=str(data.get("version", "")))
    if event == "start":
        start = _object(data, "start")
        fmt = start.get("mediaFormat") or {}
        params = start.get("customParameters") or {}
        if not isinstance(fmt, dict) or not isinstance(params, dict):
            raise TwilioWireError("start.mediaFormat and start.customParameters must be objects")
        return Start(
            stream_sid=_str(data, "streamSid") if "streamSid" in data else _str(start, "streamSid"),
            call_sid=_str(start, "callSid"),
            account_sid=str(start.get("accountSid", "")),
            encoding=str(fmt.get("encoding", ENCODING)),
            sample_rate=_int(fmt, "sampleRate", RATE),
            channels=_int(fmt, "channels", 1),
            parameters={str(k): str(v) for k, v in params.items()},
        )
    if event == "media":
        media = _object(data, "media")
        try:
            payload = base64.b64decode(_str(media, "payload"), validate=True)
        except (binascii.Error, ValueError):
            raise TwilioWireError("media.payload is not valid base64") from None
        return Media(_str(data, "streamSid"), payload, _int(media, "timestamp"), _int(media, "chunk"))
    if event == "dtmf":
        dtmf = _object(data, "dtmf")
        return Dtmf(_str(data, "streamSid"), _str(dtmf, "digit"))
    if event == "mark":
        return Mark(_str(data, "streamSid"), _str(_object(data, "mark"), "name"))
    if event == "stop":
        stop = data.get("stop") if isinstance(data.get("stop"), dict) else {}
        return Stop(_str(data, "streamSid"), str(stop.get("callSid", "")) if stop else "")
    raise TwilioWireError(f"unknown event {event!r}")


def media(stream_sid: str, mulaw: bytes) -> str:
    return json.dumps(
        {"event": "media", "streamSid": stream_sid, "media": {"payload": base64.b64encode(mulaw).decode()}}
    )


def mark(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature``: base64 HMAC-SHA1 of the URL followed by each POST parameter, sorted by name,
    as name + value."""
    payload = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(auth_token: str, url: str, params: Mapping[str, str], given: str) -> bool:
    return hmac.compare_digest(signature(auth_token, url, params), given)


def connect_stream(stream_url: str, parameters: Mapping[str, str]) -> str:
    """TwiML answering a call with a bidirectional media stream carrying ``parameters``."""
    params = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in parameters.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Connect><Stream url={quoteattr(stream_url)}>{params}</Stream></Connect></Response>"
    )


def dial(number: str, say: str | None = None) -> str:
    """TwiML that transfers the call to ``number`` (sent to the Calls API to hand a call to the crew), after
    Twilio itself says ``say`` (a shed call: our voice is busy)."""
    first = f"<Say>{escape(say)}</Say>" if say else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{first}<Dial>{escape(number)}</Dial></Response>'
