from __future__ import annotations

import numpy as np

from orderline.audio.bandwidth import restore_low_band

RATE = 16000


def band_energy(x: np.ndarray, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    return float(spectrum[(freqs >= lo) & (freqs < hi)].sum())


def phone_voice(f0: float = 110.0, seconds: float = 1.0) -> np.ndarray:
    """A voiced sound whose fundamental and second harmonic were cut off by a 300 Hz high-pass."""
    t = np.arange(int(RATE * seconds)) / RATE
    harmonics = [k for k in range(1, 30) if 300 <= k * f0 <= 3400]
    return (0.01 * sum(np.sin(2 * np.pi * k * f0 * t) for k in harmonics)).astype(np.float32)


def test_the_missing_fundamental_is_regenerated_under_300_hz() -> None:
    x = phone_voice()
    y = restore_low_band(x, gain=0.5)
    assert band_energy(x, 100, 120) < 1e-6 * band_energy(x, 300, 3400)
    assert band_energy(y, 100, 120) > 0.01 * band_energy(y, 300, 3400)  # energy at f0 = 110 Hz
    assert np.allclose(
        np.fft.irfft(np.where(np.fft.rfftfreq(x.size, 1 / RATE) >= 300, np.fft.rfft(y), 0), n=x.size),
        x,
        atol=1e-4,
    )
    assert np.max(np.abs(y)) <= 0.99


def test_nothing_to_restore_is_left_alone() -> None:
    silence = np.zeros(RATE, np.float32)
    assert restore_low_band(silence) is silence
    x = phone_voice()
    assert restore_low_band(x, gain=0.0) is x
    assert restore_low_band(np.zeros(0, np.float32)).size == 0
