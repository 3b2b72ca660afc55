"""Fuzzing the lane websocket's wire format: the hello, control messages and binary audio frames either parse
to what the lane accepts or raise LaneProtocolError with a code and a close code; nothing else."""

from __future__ import annotations

import json

import numpy as np
from fuzz_strategies import Json, edited_text, json_values, mutated
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orderline.transports import lane

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HELLO: dict[str, Json] = {
    "type": "hello",
    "key": "ol_k1.secret",
    "sample_rate": 16000,
    "format": "pcm_s16le",
    "channels": 1,
    "session_id": "s-1",
}
CONTROLS: tuple[dict[str, Json], ...] = ({"type": "takeover"}, {"type": "handback"}, {"type": "bye"})
KEYS = ("type", "key", "sample_rate", "format", "channels", "session_id")
CLOSE_CODES = {
    None,
    lane.CLOSE_NORMAL,
    lane.CLOSE_UNSUPPORTED,
    lane.CLOSE_POLICY,
    lane.CLOSE_TOO_BIG,
    lane.CLOSE_TRY_LATER,
    lane.CLOSE_UNAUTHORIZED,
    lane.CLOSE_FORBIDDEN,
    lane.CLOSE_NOT_FOUND,
}


def refused(exc: lane.LaneProtocolError) -> None:
    assert isinstance(exc.code, str) and exc.code
    assert isinstance(exc.message, str) and exc.message
    assert exc.close_code in CLOSE_CODES


def check_hello(text: str) -> None:
    try:
        hello = lane.parse_hello(text)
    except lane.LaneProtocolError as exc:
        refused(exc)
        return
    assert hello.sample_rate == lane.RATE and hello.format == lane.FORMAT
    assert hello.key is None or isinstance(hello.key, str)
    assert hello.session_id is None or isinstance(hello.session_id, str)


def check_control(text: str) -> None:
    try:
        control = lane.parse_control(text)
    except lane.LaneProtocolError as exc:
        refused(exc)
        assert exc.close_code is None  # a bad control message never closes the socket
        return
    assert control["type"] in ("takeover", "handback", "bye")


def test_the_valid_messages_parse() -> None:
    assert lane.parse_hello(json.dumps(HELLO)).key == "ol_k1.secret"
    assert [lane.parse_control(json.dumps(c))["type"] for c in CONTROLS] == ["takeover", "handback", "bye"]


@FUZZ
@given(st.text())
@example("[" * 50_000)  # regression: RecursionError from json
@example("1" * 5000)  # regression: ValueError (int/str conversion limit) from json
@example('{"type": "hello", "sample_rate": 1e400}')
def test_random_text(text: str) -> None:
    check_hello(text)
    check_control(text)


@FUZZ
@given(json_values)
def test_random_json(value: Json) -> None:
    check_hello(json.dumps(value))
    check_control(json.dumps(value))


@FUZZ
@given(mutated(HELLO, keys=KEYS))
def test_mutated_hello(message: Json) -> None:
    check_hello(json.dumps(message))


@FUZZ
@given(st.sampled_from((HELLO, *CONTROLS)).flatmap(lambda m: edited_text(json.dumps(m))))
def test_mutated_text(text: str) -> None:
    check_hello(text)
    check_control(text)


@FUZZ
@given(st.binary(max_size=4096))
def test_audio_frames(frame: bytes) -> None:
    try:
        pcm = lane.decode_audio(frame)
    except lane.LaneProtocolError as exc:
        refused(exc)
        assert exc.close_code is None and len(frame) % 2  # only an odd length is refused
        return
    assert pcm.dtype == np.float32 and pcm.shape == (len(frame) // 2,)
    assert bool(np.all((pcm >= -1.0) & (pcm < 1.0)))
    assert lane.encode_audio(pcm) == frame  # PCM16 survives the round trip exactly
