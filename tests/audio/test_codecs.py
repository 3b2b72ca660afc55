from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from orderline.audio.codecs import (
    INTERNAL_RATE,
    PCM16_16K,
    TELEPHONY,
    AudioFormat,
    AudioFormatError,
    Resampler,
    float_to_pcm16,
    frames,
    mulaw_decode,
    mulaw_encode,
    pcm16_to_float,
    resample,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
ALL_BYTES = bytes(range(256))
int16_arrays = hnp.arrays(np.int16, st.integers(0, 400))


def sine(freq: float, rate: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def mulaw_bound(x: np.ndarray) -> np.ndarray:
    """Half a quantisation step of the G.711 segment that holds |x|.

    In segment e the step is 2**(e+3) and |x| + 0x84 >= 2**(e+7), so half a step is at most
    (|x| + 132) / 32. Clipping at 32635 stays inside this bound too.
    """
    return (np.abs(x.astype(np.int64)) + 132) / 32


def test_mulaw_matches_the_g711_reference_points() -> None:
    assert mulaw_encode(np.array([0, -1, 32767, -32768, 32635], np.int16)) == bytes(
        [0xFF, 0x7F, 0x80, 0x00, 0x80]
    )
    assert mulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00, 0x8F, 0xF0])).tolist() == [
        0,
        0,
        32124,
        -32124,
        16764,
        120,
    ]


def test_mulaw_round_trip_error_is_within_half_a_step_for_every_int16() -> None:
    decoded = mulaw_decode(mulaw_encode(ALL_INT16)).astype(np.int64)
    err = np.abs(ALL_INT16.astype(np.int64) - decoded)
    assert (err <= mulaw_bound(ALL_INT16)).all()
    assert err[np.abs(ALL_INT16.astype(np.int64)) < 100].max() <= 8


@given(int16_arrays)
@settings(deadline=None)
def test_mulaw_round_trip_error_bound_property(x: np.ndarray) -> None:
    y = mulaw_decode(mulaw_encode(x))
    assert len(y) == len(x)
    assert (np.abs(x.astype(np.int64) - y) <= mulaw_bound(x)).all()


def test_mulaw_decode_encode_is_idempotent_for_every_byte() -> None:
    decoded = mulaw_decode(ALL_BYTES)
    assert (mulaw_decode(mulaw_encode(decoded)) == decoded).all()
    # Only 0x7F (negative zero) is not its own code: it comes back as 0xFF.
    assert [b for b, e in zip(ALL_BYTES, mulaw_encode(decoded), strict=True) if b != e] == [0x7F]


def test_mulaw_encoding_rejects_other_dtypes() -> None:
    with pytest.raises(AudioFormatError, match="int16"):
        mulaw_encode(np.zeros(4, np.int32))


@given(int16_arrays)
@settings(deadline=None)
def test_pcm16_float_round_trip_is_exact(x: np.ndarray) -> None:
    f = pcm16_to_float(x)
    assert f.dtype == np.float32
    assert (np.abs(f) <= 1.0).all()
    assert (float_to_pcm16(f) == x).all()
    assert (pcm16_to_float(x.astype("<i2").tobytes()) == f).all()


def test_float_to_pcm16_clips_and_validates() -> None:
    out = float_to_pcm16(np.array([2.0, -2.0, 0.5, 1.0], np.float32))
    assert out.tolist() == [32767, -32768, 16384, 32767]
    with pytest.raises(AudioFormatError, match="NaN"):
        float_to_pcm16(np.array([0.0, np.nan], np.float32))
    with pytest.raises(AudioFormatError, match="floating"):
        float_to_pcm16(np.zeros(3, np.int16))
    with pytest.raises(AudioFormatError, match="1-D"):
        float_to_pcm16(np.zeros((2, 3), np.float32))


def test_pcm16_bytes_must_have_an_even_length() -> None:
    with pytest.raises(AudioFormatError, match="even"):
        pcm16_to_float(b"\x00\x01\x02")


def test_resample_is_identity_at_equal_rates_and_rejects_bad_rates() -> None:
    x = sine(300, 16000, 0.1)
    assert resample(x, 16000, 16000) is x
    for bad in (0, -8000):
        with pytest.raises(AudioFormatError, match="positive"):
            resample(x, bad, 16000)


@given(
    n=st.integers(0, 3000),
    src=st.sampled_from([8000, 11025, 16000, 22050, 24000, 44100, 48000]),
    dst=st.sampled_from([8000, 16000, 22050, 24000, 12345]),
)
@settings(deadline=None, max_examples=60)
def test_resampled_length_is_len_times_rate_ratio(n: int, src: int, dst: int) -> None:
    y = resample(np.zeros(n, np.float32), src, dst)
    assert y.dtype == np.float32
    assert abs(len(y) - n * dst / src) <= 1


@given(freq=st.floats(100, 3400), amp=st.floats(0.05, 0.9))
@settings(deadline=None, max_examples=30)
def test_band_limited_sine_survives_16k_8k_16k(freq: float, amp: float) -> None:
    x = sine(freq, 16000, 0.25, amp)
    y = resample(resample(x, 16000, 8000), 8000, 16000)
    assert len(y) == len(x)
    core = slice(400, -400)  # the filter rings at the edges
    assert np.max(np.abs(x[core] - y[core])) < 0.01 * amp


def test_streaming_resampler_matches_one_shot() -> None:
    x = sine(440, 8000, 0.5)
    r = Resampler(8000, 16000)
    parts = [r.process(c) for c in np.array_split(x, 37)]
    y = np.concatenate([*parts, r.flush()])
    ref = resample(x, 8000, 16000)
    assert abs(len(y) - len(ref)) <= 1
    n = min(len(y), len(ref))
    assert np.max(np.abs(y[:n] - ref[:n])) < 1e-3


@pytest.mark.parametrize(
    ("n", "pad", "expected"), [(480, True, 3), (500, True, 4), (500, False, 3), (0, True, 0)]
)
def test_frames_pad_or_drop_the_last_partial_frame(n: int, pad: bool, expected: int) -> None:
    x = np.arange(n, dtype=np.float32)
    out = list(frames(x, 16000, 10, pad_last=pad))
    assert len(out) == expected
    assert all(len(f) == 160 for f in out)
    if n == 500 and pad:
        assert out[-1][:20].tolist() == x[480:].tolist()
        assert not out[-1][20:].any()


def test_frames_must_be_whole_samples() -> None:
    with pytest.raises(AudioFormatError, match="whole number"):
        list(frames(np.zeros(100, np.float32), 22050, 10))


def test_telephony_format_decodes_20_ms_frames_to_the_internal_rate() -> None:
    x = sine(500, INTERNAL_RATE, 0.5, 0.3)
    wire = TELEPHONY.encode(x)
    assert len(wire) == 4000
    y = TELEPHONY.decode(wire)
    assert len(y) == len(x)
    core = slice(800, -800)
    assert np.max(np.abs(x[core] - y[core])) < 0.03
    assert len(TELEPHONY.decode(wire[:160])) == 320


def test_pcm16_16k_format_is_lossless_up_to_quantisation() -> None:
    x = sine(1000, INTERNAL_RATE, 0.1, 0.4)
    assert np.max(np.abs(PCM16_16K.decode(PCM16_16K.encode(x)) - x)) <= 1 / 32768


def test_stereo_input_is_downmixed() -> None:
    fmt = AudioFormat(16000, "pcm16", channels=2)
    left = np.full(8, 1000, np.int16)
    right = np.full(8, 3000, np.int16)
    interleaved = np.stack([left, right], axis=1).reshape(-1)
    assert np.allclose(fmt.decode(interleaved.astype("<i2").tobytes()), 2000 / 32768)
    with pytest.raises(AudioFormatError, match="whole number"):
        fmt.decode(b"\x00\x00\x00\x00\x00\x00")
    assert len(fmt.encode(np.zeros(10, np.float32))) == 40


@pytest.mark.parametrize(
    ("args", "match"), [((0,), "positive"), ((8000, "alaw"), "encoding"), ((8000, "pcm16", 0), "channels")]
)
def test_audio_format_rejects_bad_parameters(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(AudioFormatError, match=match):
        AudioFormat(*args)  # type: ignore[arg-type]


def test_audio_format_error_is_a_value_error() -> None:
    assert issubclass(AudioFormatError, ValueError)
