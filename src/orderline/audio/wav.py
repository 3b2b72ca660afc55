"""Read and write WAV files with the standard library (PCM only)."""

from __future__ import annotations

import os
import wave

import numpy as np

from orderline.audio.codecs import AudioFormatError, Float32Array, float_to_pcm16, pcm16_to_float


def read_wav(path: str | os.PathLike[str]) -> tuple[Float32Array, int]:
    """Read an 8- or 16-bit PCM WAV file as mono float32.

    Stereo (or more channels) is downmixed by averaging.

    Returns:
        ``(samples, sample_rate)``.

    Raises:
        AudioFormatError: not a PCM WAV file, or a sample width other than 8 or 16 bits.
        FileNotFoundError: ``path`` does not exist.
    """
    try:
        with wave.open(os.fspath(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise AudioFormatError(f"{os.fspath(path)}: not a readable PCM WAV file ({e})") from e
    if width == 2:
        x = pcm16_to_float(raw[: len(raw) - len(raw) % 2])
    elif width == 1:
        # 8-bit WAV is unsigned with 128 as zero.
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / np.float32(128.0)
    else:
        raise AudioFormatError(f"{os.fspath(path)}: {8 * width}-bit samples are not supported (8 or 16 only)")
    if channels > 1:
        x = x[: len(x) - len(x) % channels].reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return x, rate


def write_wav(path: str | os.PathLike[str], x: Float32Array, rate: int) -> None:
    """Write mono float audio as a 16-bit PCM WAV file (samples outside [-1, 1] are clipped).

    Raises:
        AudioFormatError: ``rate`` <= 0 or ``x`` is not valid mono float audio.
    """
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise AudioFormatError(f"sample rate must be a positive integer, got {rate!r}")
    pcm = float_to_pcm16(x)
    with wave.open(os.fspath(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
