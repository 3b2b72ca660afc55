"""Listening conditions: deterministic noises at the asked SNR, a phone channel that is really band-limited
and 8 kHz µ-law, a tune/report split with a lane twin for every phone condition, espeak-ng speech."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from orderline.bench import conditions as cond
from orderline.bench.noise import snr_db

RATE = 16000


def _tone_speech(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 4 * t)) / 2).astype(np.float32)


@pytest.mark.parametrize("noise", sorted(cond.NOISES))
def test_each_noise_is_seeded_and_mixes_at_the_snr(noise: str) -> None:
    make = cond.NOISES[noise]
    a, b, other = make(RATE, RATE, 3), make(RATE, RATE, 3), make(RATE, RATE, 4)
    assert a.dtype == np.float32 and a.size == RATE
    assert np.array_equal(a, b) and not np.array_equal(a, other)
    speech = _tone_speech()
    condition = cond.Condition("x", "piper-disguised", noise, 10.0, "lane", "tune")  # type: ignore[arg-type]
    mixed = cond.degrade(condition, speech, seed=1)
    assert snr_db(speech, mixed - speech) == pytest.approx(10.0, abs=0.1)


def test_the_phone_channel_is_narrowband_mulaw() -> None:
    t = np.arange(RATE) / RATE
    low, mid, high = (np.sin(2 * np.pi * f * t) * 0.3 for f in (100, 1000, 6000))
    out = {f: cond.phone_channel(x.astype(np.float32)) for f, x in ((100, low), (1000, mid), (6000, high))}
    assert all(x.size == RATE for x in out.values())
    power = {f: float(np.mean(x[2000:-2000] ** 2)) for f, x in out.items()}
    assert power[1000] > 0.02  # passed
    assert power[100] < power[1000] / 50 and power[6000] < power[1000] / 50  # outside 300-3400 Hz: gone
    assert not np.array_equal(out[1000], mid)  # quantised by µ-law


def test_the_split_is_stated_and_every_phone_condition_has_a_lane_twin() -> None:
    tune, report = cond.select("tune"), cond.select("report")
    assert tune and report and not {c.name for c in tune} & {c.name for c in report}
    assert cond.select("all") == [*tune, *report]
    names = {c.name for c in cond.CONDITIONS}
    for c in cond.CONDITIONS:
        if c.channel == "phone":
            assert c.name.replace("/phone", "/lane") in names
    assert cond.select(tune[0].name + "," + report[0].name) == [tune[0], report[0]]
    with pytest.raises(ValueError, match="known"):
        cond.select("nobody/none/clean/lane")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_speaks_at_16_khz_and_caches(tmp_path) -> None:  # type: ignore[no-untyped-def]
    voice, wpm, pitch = cond.ESPEAK_VOICES["espeak-us-m"]
    speaker = cond.EspeakSpeaker(voice, wpm, pitch, tmp_path)
    audio = speaker.say("a large pepperoni pizza")
    assert audio.dtype == np.float32 and 0.5 * RATE < audio.size < 5 * RATE
    assert np.array_equal(speaker.say("a large pepperoni pizza"), audio) and speaker.hits == 1
