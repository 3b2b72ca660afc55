"""Deterministic synthetic drive-thru noise and mixing at a chosen signal-to-noise ratio.

``drive_thru_noise`` layers what a lane microphone hears while a car idles at the speaker post:

- **engine rumble**: an idling four-stroke engine's firing frequency (~25-30 Hz, slowly wandering with
  the idle speed) and its harmonics up to ~300 Hz, plus brown (integrated white) noise;
- **fan/HVAC**: broadband pink-ish noise with a blade-pass hum, from the car's blower and the kiosk's
  own fan;
- **clanks**: occasional short metallic impacts (a few damped resonances), a door, keys, a tray.

The same ``(samples, rate, seed)`` always gives the same noise. ``mix_at_snr`` scales noise so that
``20 * log10(rms(speech) / rms(noise))`` equals the requested SNR, RMS taken over the whole speech clip.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Float32Array = NDArray[np.float32]

NOISE_RMS = 0.05
"""RMS of the generated noise (it is rescaled when mixed anyway)."""
_PEAK = 0.99


def rms(x: NDArray[np.floating]) -> float:
    """Root mean square of a signal (0.0 for an empty one)."""
    if x.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def snr_db(speech: NDArray[np.floating], noise: NDArray[np.floating]) -> float:
    """Signal-to-noise ratio in dB of two components (``inf`` for silent noise)."""
    n = rms(noise)
    if n == 0.0:
        return float("inf")
    return 20.0 * float(np.log10(max(rms(speech), 1e-12) / n))


def _bandpass(x: NDArray[np.float64], rate: int, lo_hz: float, hi_hz: float) -> NDArray[np.float64]:
    """Zero-phase brick-wall band-pass in the frequency domain."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    spectrum[(freqs < lo_hz) | (freqs > hi_hz)] = 0.0
    return np.fft.irfft(spectrum, n=len(x))


def _pink(rng: np.random.Generator, n: int, rate: int, lo_hz: float, hi_hz: float) -> NDArray[np.float64]:
    """Band-limited 1/f noise (equal energy per octave) between ``lo_hz`` and ``hi_hz``."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    shape = np.zeros_like(freqs)
    band = (freqs >= lo_hz) & (freqs <= hi_hz)
    shape[band] = 1.0 / np.sqrt(freqs[band])
    return np.fft.irfft(spectrum * shape, n=n)


def _normalise(x: NDArray[np.float64], target: float) -> NDArray[np.float64]:
    level = float(np.sqrt(np.mean(x * x))) if x.size else 0.0
    return x * (target / level) if level > 0 else x


def engine_rumble(n: int, rate: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Idling engine: firing frequency and harmonics with a wandering idle speed, plus brown noise."""
    t = np.arange(n) / rate
    firing = rng.uniform(24.0, 32.0)
    wander = 1.0 + 0.04 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * firing * np.cumsum(wander) / rate
    tonal = np.zeros(n)
    for k in range(1, 11):
        amp = 1.0 / k**0.8 * rng.uniform(0.6, 1.0)
        tonal += amp * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    tonal *= 1.0 + 0.25 * np.sin(2 * np.pi * firing / 2 * t)  # uneven cylinders
    brown = _bandpass(np.cumsum(rng.standard_normal(n)), rate, 15.0, 400.0)  # no random-walk drift
    return _normalise(tonal, 1.0) + _normalise(brown, 0.8)


def hvac(n: int, rate: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Fan and ventilation: broadband pink noise (150 Hz - 6 kHz) and a blade-pass hum."""
    t = np.arange(n) / rate
    broadband = _pink(rng, n, rate, 150.0, min(6000.0, rate / 2 - 1))
    blade = rng.uniform(90.0, 140.0)
    hum = np.sin(2 * np.pi * blade * t) + 0.4 * np.sin(2 * np.pi * 2 * blade * t + 1.0)
    return _normalise(broadband, 1.0) + _normalise(hum, 0.3)


def clanks(n: int, rate: int, rng: np.random.Generator, per_second: float = 0.25) -> NDArray[np.float64]:
    """Occasional metallic impacts: a few damped resonances (0.6-3.5 kHz) at Poisson times."""
    out = np.zeros(n)
    count = rng.poisson(per_second * n / rate)
    length = int(0.25 * rate)
    t = np.arange(length) / rate
    for _ in range(count):
        start = int(rng.integers(0, max(1, n - 1)))
        hit = np.zeros(length)
        for _ in range(3):
            hit += np.sin(2 * np.pi * rng.uniform(600.0, 3500.0) * t) * np.exp(-t * rng.uniform(25.0, 60.0))
        hit *= rng.uniform(0.5, 1.0)
        end = min(n, start + length)
        out[start:end] += hit[: end - start]
    return out


def drive_thru_noise(samples: int, rate: int = 16000, seed: int = 0) -> Float32Array:
    """Synthetic drive-thru background noise: ``samples`` float32 samples with RMS ``NOISE_RMS``.

    Raises:
        ValueError: negative ``samples`` or a rate <= 0.
    """
    if samples < 0 or rate <= 0:
        raise ValueError("need samples >= 0 and rate > 0")
    if samples == 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(seed)
    mix = engine_rumble(samples, rate, rng) + 0.6 * hvac(samples, rate, rng)
    bursts = clanks(samples, rate, rng)
    mix = _normalise(mix, 1.0) + 0.5 * bursts
    return _normalise(mix, NOISE_RMS).astype(np.float32)


def fit_noise(noise: NDArray[np.floating], samples: int) -> NDArray[np.float64]:
    """``noise`` cut or looped to exactly ``samples`` samples.

    Raises:
        ValueError: ``noise`` is empty while ``samples`` > 0.
    """
    if samples == 0:
        return np.zeros(0)
    if noise.size == 0:
        raise ValueError("noise is empty")
    reps = -(-samples // noise.size)
    return np.tile(np.asarray(noise, dtype=np.float64), reps)[:samples]


def scale_to_snr(speech: NDArray[np.floating], noise: NDArray[np.floating], snr: float) -> Float32Array:
    """``noise`` fitted to the length of ``speech`` and scaled to ``snr`` dB below the speech RMS.

    Raises:
        ValueError: silent noise (it cannot be scaled to any SNR) or empty noise.
    """
    fitted = fit_noise(noise, speech.size)
    level = rms(fitted)
    if speech.size and level == 0.0:
        raise ValueError("noise is silent: cannot mix at a given SNR")
    if speech.size == 0:
        return np.zeros(0, dtype=np.float32)
    gain = rms(speech) / (level * 10.0 ** (snr / 20.0))
    out: Float32Array = (fitted * gain).astype(np.float32)
    return out


def mix_at_snr(speech: NDArray[np.floating], noise: NDArray[np.floating], snr: float) -> Float32Array:
    """``speech + noise`` with the noise scaled to ``snr`` dB (on the speech RMS).

    Noise shorter than the speech is looped, longer noise is cut. When the sum would clip, both parts
    are scaled down together (peak 0.99), which keeps the SNR.

    Raises:
        ValueError: silent or empty noise for non-empty speech.
    """
    scaled = scale_to_snr(speech, noise, snr)
    mixed = np.asarray(speech, dtype=np.float64) + scaled
    peak = float(np.max(np.abs(mixed))) if mixed.size else 0.0
    if peak > _PEAK:
        mixed *= _PEAK / peak
    out: Float32Array = mixed.astype(np.float32)
    return out


# -- more backgrounds for the multi-condition benchmark (all generated from a seed) --------------------------


def _envelope(rng: np.random.Generator, n: int, rate: int, lo_hz: float, hi_hz: float) -> NDArray[np.float64]:
    """A slowly varying positive envelope: band-limited noise between ``lo_hz`` and ``hi_hz``, in 0..1
    (all ones when the clip is too short to hold that band: one steady stretch)."""
    env = _bandpass(rng.standard_normal(n), rate, lo_hz, hi_hz)
    env = env - env.min() if env.size else env
    peak = float(env.max()) if env.size else 0.0
    return env / peak if peak > 1e-9 else np.ones(n)


def wind_noise(samples: int, rate: int = 16000, seed: int = 0) -> Float32Array:
    """Wind on an outdoor microphone: low-frequency buffeting (< 400 Hz) in gusts of 0.2-1.5 Hz, with a
    broadband hiss that rises with each gust."""
    if samples <= 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(seed)
    gusts = 0.15 + _envelope(rng, samples, rate, 0.2, 1.5) ** 2
    buffet = _bandpass(np.cumsum(rng.standard_normal(samples)), rate, 10.0, 400.0)
    hiss = _pink(rng, samples, rate, 400.0, min(6000.0, rate / 2 - 1))
    mix = gusts * (_normalise(buffet, 1.0) + _normalise(hiss, 0.3))
    return _normalise(mix, NOISE_RMS).astype(np.float32)


def babble_noise(samples: int, rate: int = 16000, seed: int = 0, talkers: int = 6) -> Float32Array:
    """Crowd babble without recordings: ``talkers`` streams of speech-shaped noise (300-3500 Hz, a formant
    bump that moves), each switched on and off at syllable rate (3-6 Hz) with pauses between phrases."""
    if samples <= 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(seed)
    mix = np.zeros(samples)
    for _ in range(talkers):
        voice = _pink(rng, samples, rate, 300.0, min(3500.0, rate / 2 - 1))
        formant = rng.uniform(500.0, 1500.0)
        t = np.arange(samples) / rate
        voice += (
            0.6
            * _normalise(_bandpass(rng.standard_normal(samples), rate, formant * 0.8, formant * 1.2), 1.0)
            * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t) ** 2
        )
        syllables = _envelope(rng, samples, rate, 3.0, 6.0) ** 3
        phrases = (_envelope(rng, samples, rate, 0.1, 0.4) > 0.35).astype(np.float64)
        mix += _normalise(voice, 1.0) * syllables * phrases
    return _normalise(mix, NOISE_RMS).astype(np.float32)


def music_noise(samples: int, rate: int = 16000, seed: int = 0) -> Float32Array:
    """Music from a car stereo: a chord progression (triads with harmonics, a chord every 0.5-1 s), a bass
    line an octave down, and a kick drum on the beat."""
    if samples <= 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / rate
    out = np.zeros(samples)
    root = rng.uniform(110.0, 220.0)
    position = 0
    while position < samples:
        length = int(rate * rng.uniform(0.5, 1.0))
        end = min(samples, position + length)
        base = root * 2 ** (int(rng.choice([0, 3, 5, 7, 8, 10])) / 12)
        minor = bool(rng.integers(0, 2))
        chord = (1.0, 2 ** ((3 if minor else 4) / 12), 2 ** (7 / 12))
        seg = t[position:end] - t[position]
        decay = np.exp(-seg * 1.5)
        for ratio in chord:
            for k in range(1, 5):
                out[position:end] += decay * np.sin(2 * np.pi * base * ratio * k * seg) / k**1.5
        out[position:end] += 1.2 * decay * np.sin(2 * np.pi * base / 2 * seg)
        position = end
    beat = 60.0 / rng.uniform(90.0, 130.0)
    kick_len = int(0.12 * rate)
    kt = np.arange(kick_len) / rate
    kick = np.sin(2 * np.pi * 60.0 * kt * (1 + 2 * np.exp(-kt * 40))) * np.exp(-kt * 25)
    for start in np.arange(0.0, samples / rate, beat):
        a = int(start * rate)
        b = min(samples, a + kick_len)
        out[a:b] += 2.0 * kick[: b - a]
    return _normalise(out, NOISE_RMS).astype(np.float32)
