"""Low-band restoration for telephone speech, before ASR.

A phone line passes roughly 300-3400 Hz. For a low voice that removes the fundamental and much of the
first formant, and Whisper (trained mostly on wideband audio) loses far more than a listener does. The
harmonics above 300 Hz still carry the pitch: half-wave rectifying the 300-1000 Hz band makes components at
the fundamental and its low multiples (the beat of neighbouring harmonics), and the part of that under
300 Hz is added back at a level relative to the band it came from. It regenerates plausible low-band
energy; it does not recover the original, and the lane (wideband) path never uses it.
"""

from __future__ import annotations

import numpy as np

from orderline.audio.codecs import INTERNAL_RATE, Float32Array

SOURCE_HZ = (300.0, 1000.0)
"""The band whose harmonics are rectified."""
RESTORED_HZ = (70.0, 300.0)
"""The band added back."""


def restore_low_band(audio: Float32Array, gain: float = 0.5, rate: int = INTERNAL_RATE) -> Float32Array:
    """``audio`` (one utterance, mono float32 at ``rate``) with a regenerated 70-300 Hz band at ``gain``
    times the RMS of its 300-1000 Hz band. ``gain`` 0 returns the input unchanged."""
    if audio.size == 0 or gain <= 0.0:
        return audio
    x = audio.astype(np.float64)
    freqs = np.fft.rfftfreq(x.size, 1.0 / rate)
    spectrum = np.fft.rfft(x)
    source = np.fft.irfft(np.where((freqs >= SOURCE_HZ[0]) & (freqs <= SOURCE_HZ[1]), spectrum, 0), n=x.size)
    rectified = np.fft.rfft(np.maximum(source, 0.0))
    low_band = (freqs >= RESTORED_HZ[0]) & (freqs < RESTORED_HZ[1])
    low = np.fft.irfft(np.where(low_band, rectified, 0), n=x.size)
    source_rms = float(np.sqrt(np.mean(source**2)))
    low_rms = float(np.sqrt(np.mean(low**2)))
    if source_rms == 0.0 or low_rms == 0.0:
        return audio
    out = x + gain * low * (source_rms / low_rms)
    peak = float(np.max(np.abs(out)))
    if peak > 0.99:
        out *= 0.99 / peak
    return out.astype(np.float32)
