"""Fuzzing the Twilio Media Streams parser: any frame Twilio (or anyone else) sends either becomes one typed
message with well-typed fields or raises TwilioWireError with a websocket close code; nothing else."""

from __future__ import annotations

import base64
import json

from fuzz_strategies import Json, edited_text, json_values, mutated
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orderline.transports import twilio

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID: tuple[dict[str, Json], ...] = (
    {"event": "connected", "protocol": "Call", "version": "1.0.0"},
    {
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": "MZ0001",
        "start": {
            "streamSid": "MZ0001",
            "accountSid": "AC0001",
            "callSid": "CA0001",
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"token": "t0k3n", "store": "burger"},
        },
    },
    {
        "event": "media",
        "sequenceNumber": "3",
        "streamSid": "MZ0001",
        "media": {
            "track": "inbound",
            "chunk": "2",
            "timestamp": "40",
            "payload": base64.b64encode(bytes(range(160))).decode(),
        },
    },
    {
        "event": "dtmf",
        "streamSid": "MZ0001",
        "sequenceNumber": "5",
        "dtmf": {"track": "inbound_track", "digit": "0"},
    },
    {"event": "mark", "streamSid": "MZ0001", "sequenceNumber": "4", "mark": {"name": "s1"}},
    {
        "event": "stop",
        "streamSid": "MZ0001",
        "sequenceNumber": "6",
        "stop": {"accountSid": "AC0001", "callSid": "CA0001"},
    },
)
KEYS = (
    "event",
    "streamSid",
    "start",
    "media",
    "dtmf",
    "mark",
    "stop",
    "callSid",
    "payload",
    "timestamp",
    "chunk",
    "digit",
    "name",
    "mediaFormat",
    "customParameters",
    "sampleRate",
    "channels",
)
CLOSE_CODES = {1003, 1008}


def check(frame: str | bytes) -> None:
    """The property: a typed message with the types its fields promise, or a TwilioWireError."""
    try:
        message = twilio.parse(frame)
    except twilio.TwilioWireError as exc:
        assert exc.close_code in CLOSE_CODES
        assert str(exc)
        return
    assert isinstance(
        message, twilio.Connected | twilio.Start | twilio.Media | twilio.Dtmf | twilio.Mark | twilio.Stop
    )
    if isinstance(message, twilio.Connected):
        assert isinstance(message.protocol, str) and isinstance(message.version, str)
        return
    assert isinstance(message.stream_sid, str) and message.stream_sid
    if isinstance(message, twilio.Start):
        assert isinstance(message.call_sid, str) and message.call_sid
        assert isinstance(message.sample_rate, int) and isinstance(message.channels, int)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in message.parameters.items())
    elif isinstance(message, twilio.Media):
        assert isinstance(message.payload, bytes)
        assert isinstance(message.timestamp_ms, int) and isinstance(message.chunk, int)
    elif isinstance(message, twilio.Dtmf):
        assert isinstance(message.digit, str) and message.digit
    elif isinstance(message, twilio.Mark):
        assert isinstance(message.name, str) and message.name
    else:
        assert isinstance(message.call_sid, str)


def test_the_valid_messages_parse() -> None:
    kinds = [type(twilio.parse(json.dumps(m))).__name__ for m in VALID]
    assert kinds == ["Connected", "Start", "Media", "Dtmf", "Mark", "Stop"]


@FUZZ
@given(st.text())
@example("")
@example("[" * 50_000)  # nesting past the recursion limit (regression: RecursionError)
@example("1" * 5000)  # an integer past int/str conversion limit (regression: ValueError from json)
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(st.binary())
def test_binary_frames(frame: bytes) -> None:
    check(frame)


@FUZZ
@given(json_values)
def test_random_json(value: Json) -> None:
    check(json.dumps(value))


@FUZZ
@given(st.sampled_from(VALID).flatmap(lambda m: mutated(m, keys=KEYS)))
@example({"event": "media", "streamSid": "MZ1", "media": {"payload": "", "timestamp": float("inf")}})
@example({"event": "media", "streamSid": "MZ1", "media": {"payload": "", "chunk": 1e400}})
@example(
    {"event": "start", "streamSid": "MZ1", "start": {"callSid": "CA1", "mediaFormat": {"channels": -1e999}}}
)
def test_mutated_messages(message: Json) -> None:
    # regressions: timestamps and counts that are infinite floats raised OverflowError
    check(json.dumps(message))


@FUZZ
@given(st.sampled_from(VALID).flatmap(lambda m: edited_text(json.dumps(m))))
def test_mutated_text(text: str) -> None:
    check(text)
