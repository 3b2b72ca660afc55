"""bench/voice.py and bench/noise.py: index mode through the CLI, the ``voice`` command, noise mixing at a
requested SNR, the customer-voice cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orderline.audio.codecs import resample
from orderline.audio.wav import read_wav, write_wav
from orderline.bench import voice as voice_bench
from orderline.bench.exr import unordered_equal
from orderline.bench.noise import NOISE_RMS, drive_thru_noise, mix_at_snr, rms, scale_to_snr, snr_db
from orderline.cli.app import app
from orderline.core.errors import OrderlineError
from orderline.tts.piper import PiperSynthesizer

runner = CliRunner()


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    return PiperSynthesizer(output_rate=16000, noise_scale=0.0, noise_w_scale=0.0)


def spoken(piper: PiperSynthesizer, text: str) -> np.ndarray:
    return np.concatenate([c.pcm for c in piper.synthesize(text)])


def test_index_mode_writes_predictions_in_input_order(tmp_path: Path, piper: PiperSynthesizer) -> None:
    orders = [
        ("two small pizzas with ham", "(ORDER (PIZZAORDER (NUMBER 2 ) (SIZE SMALL ) (TOPPING HAM ) ) )"),
        ("a large pepperoni pizza", "(ORDER (PIZZAORDER (NUMBER 1 ) (SIZE LARGE ) (TOPPING PEPPERONI ) ) )"),
    ]
    (tmp_path / "wavs").mkdir()
    lines = []
    for n, (text, gold) in enumerate(orders):
        write_wav(tmp_path / "wavs" / f"{n}.wav", spoken(piper, text), 16000)
        lines.append(json.dumps({"wav": f"wavs/{n}.wav", "src": text, "exr": gold, "id": n}))
    index = tmp_path / "index.jsonl"
    index.write_text("\n".join(lines) + "\n")
    pred = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["bench", "voice", "--index", str(index), "--out", str(pred)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in pred.read_text().splitlines()]
    assert [r["src"] for r in rows] == [text for text, _ in orders]
    assert all(set(r) == {"src", "exr"} for r in rows)
    for row, (_, gold) in zip(rows, orders, strict=True):
        assert unordered_equal(row["exr"], gold), row
    assert "exact match: 2/2" in result.output


def test_index_mode_needs_out_and_wav_paths(tmp_path: Path) -> None:
    index = tmp_path / "index.jsonl"
    index.write_text('{"src": "a coke"}\n')
    with pytest.raises(OrderlineError, match="wav"):
        voice_bench.read_index(index)
    result = runner.invoke(app, ["bench", "voice", "--index", str(index)])
    assert result.exit_code == 2


def test_voice_command_runs_a_conversation_from_wav_files(tmp_path: Path, piper: PiperSynthesizer) -> None:
    first = tmp_path / "turn1.wav"
    second = tmp_path / "turn2.wav"
    write_wav(first, spoken(piper, "a cheeseburger with no onions"), 16000)
    audio = spoken(piper, "and a large fries")
    write_wav(second, resample(audio, 16000, 22050), 22050)  # any rate is resampled
    out = tmp_path / "reply.wav"
    result = runner.invoke(
        app, ["voice", "--menu", "burger", "--in", str(first), "--in", str(second), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "cheeseburger with no onions" in result.output.lower()
    assert "first audio" in result.output
    assert "Fries" in result.output
    reply, rate = read_wav(out)
    assert rate == 16000 and reply.size > 3 * rate  # greeting + two replies


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(200, 12000),
    noise_len=st.integers(50, 20000),
    snr=st.floats(-10.0, 40.0),
    amplitude=st.floats(0.01, 0.9),
    seed=st.integers(0, 2**16),
)
def test_noise_is_mixed_at_the_requested_snr(
    n: int, noise_len: int, snr: float, amplitude: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    speech = (np.sin(np.arange(n) * 0.05) * amplitude * rng.uniform(0.3, 1.0, n)).astype(np.float32)
    noise = drive_thru_noise(noise_len, seed=seed)
    scaled = scale_to_snr(speech, noise, snr)
    assert scaled.size == speech.size
    assert snr_db(speech, scaled) == pytest.approx(snr, abs=1e-3)
    mixed = mix_at_snr(speech, noise, snr)
    clean_sum = speech.astype(np.float64) + scaled
    k = min(1.0, 0.99 / float(np.max(np.abs(clean_sum))))  # both parts scaled down together near clipping
    np.testing.assert_allclose(mixed, k * clean_sum, atol=1e-6)
    assert float(np.max(np.abs(mixed))) <= 0.99 + 1e-6


def test_drive_thru_noise_is_deterministic_and_low_heavy() -> None:
    a = drive_thru_noise(32000, seed=3)
    assert np.array_equal(a, drive_thru_noise(32000, seed=3))
    assert not np.array_equal(a, drive_thru_noise(32000, seed=4))
    assert rms(a) == pytest.approx(NOISE_RMS, rel=1e-3)
    power = np.abs(np.fft.rfft(a)) ** 2
    freqs = np.fft.rfftfreq(a.size, 1 / 16000)
    assert power[freqs < 500].sum() > power[freqs >= 500].sum()  # engine rumble dominates
    assert power[freqs >= 1000].sum() > 0.02 * power.sum()  # but fan noise is broadband
    with pytest.raises(ValueError):
        mix_at_snr(np.ones(10, np.float32), np.zeros(10, np.float32), 10.0)


def test_customer_voice_is_cached_by_text_and_voice(tmp_path: Path, piper: PiperSynthesizer) -> None:
    speaker = voice_bench.Speaker(piper, voice_bench.PLAIN_VOICE, tmp_path)
    first = speaker.say("a small coke")
    again = speaker.say("a small coke")
    assert (speaker.misses, speaker.hits) == (1, 1)
    assert np.array_equal(first, again)
    pitched = voice_bench.Speaker(piper, voice_bench.VoiceSpec("up", pitch=1.25), tmp_path)
    assert pitched.key("a small coke") != speaker.key("a small coke")
    assert pitched.say("a small coke").size == pytest.approx(first.size / 1.25, abs=2)
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_word_errors_count_edits_on_normalised_words() -> None:
    assert voice_bench.word_errors("Two large pizzas, please", "two large pizza please") == (1, 4)
    assert voice_bench.word_errors("a coke", "") == (2, 2)
    assert voice_bench.word_errors("", "hello") == (1, 0)
