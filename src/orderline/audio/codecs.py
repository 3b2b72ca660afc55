"""Sample formats: G.711 µ-law, PCM16, float32, resampling and framing.

The engine works internally on 16 kHz mono float32 in [-1, 1]; ``AudioFormat`` converts a wire format
(PCM16 or µ-law at any rate) to and from that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import soxr
from numpy.typing import NDArray

from orderline.core.errors import OrderlineError

INTERNAL_RATE = 16000
"""Sample rate of the engine's internal audio (VAD, turn detection, ASR)."""

Float32Array = NDArray[np.float32]
Int16Array = NDArray[np.int16]
Encoding = Literal["pcm16", "mulaw"]

_BIAS = 0x84
_CLIP = 32635


class AudioFormatError(OrderlineError, ValueError):
    """Audio that cannot be decoded or converted: bad length, dtype, rate or values."""


def _check_rate(rate: int) -> None:
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise AudioFormatError(f"sample rate must be a positive integer, got {rate!r}")


def _check_1d(x: object, name: str) -> None:
    if not isinstance(x, np.ndarray):
        raise AudioFormatError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.ndim != 1:
        raise AudioFormatError(f"{name} must be 1-D (mono), got shape {x.shape}")


def _build_decode_table() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + _BIAS) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, _BIAS - t, t - _BIAS).astype(np.int16)


def _build_encode_table() -> NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(pcm < 0, 0x80, 0)
    mag = np.minimum(np.abs(pcm), _CLIP) + _BIAS
    # Segment (exponent) = position of the highest set bit above bit 7, 0..7.
    exponent = np.floor(np.log2(mag >> 7)).astype(np.int32)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    out: NDArray[np.uint8] = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return out


_DECODE = _build_decode_table()
_ENCODE = _build_encode_table()


def mulaw_encode(pcm: Int16Array) -> bytes:
    """Encode PCM16 samples as G.711 µ-law (one byte per sample).

    Args:
        pcm: 1-D int16 samples.

    Returns:
        The µ-law bytes.

    Raises:
        AudioFormatError: ``pcm`` is not a 1-D int16 array.
    """
    _check_1d(pcm, "pcm")
    if pcm.dtype != np.int16:
        raise AudioFormatError(f"µ-law encoding needs int16 samples, got {pcm.dtype}")
    return _ENCODE[pcm.astype(np.int32) + 32768].tobytes()


def mulaw_decode(data: bytes | bytearray | memoryview) -> Int16Array:
    """Decode G.711 µ-law bytes to PCM16 samples."""
    out: Int16Array = _DECODE[np.frombuffer(data, dtype=np.uint8)]
    return out


def pcm16_to_float(pcm: bytes | bytearray | memoryview | Int16Array) -> Float32Array:
    """Convert little-endian PCM16 (bytes or int16 array) to float32 in [-1, 1).

    Raises:
        AudioFormatError: odd byte count, or an array that is not 1-D int16.
    """
    if isinstance(pcm, bytes | bytearray | memoryview):
        raw = memoryview(pcm).cast("B")
        if len(raw) % 2:
            raise AudioFormatError(f"PCM16 needs an even number of bytes, got {len(raw)}")
        samples = np.frombuffer(raw, dtype="<i2")
    else:
        _check_1d(pcm, "pcm")
        if pcm.dtype != np.int16:
            raise AudioFormatError(f"expected int16 samples, got {pcm.dtype}")
        samples = pcm
    return samples.astype(np.float32) / np.float32(32768.0)


def float_to_pcm16(x: Float32Array) -> Int16Array:
    """Convert float audio in [-1, 1] to int16, rounding and clipping out-of-range samples.

    ``float_to_pcm16(pcm16_to_float(p))`` returns ``p`` exactly.

    Raises:
        AudioFormatError: ``x`` is not 1-D floating point or holds NaN/inf.
    """
    scaled = np.rint(as_float32(x, "x") * np.float32(32768.0))
    out: Int16Array = np.clip(scaled, -32768, 32767).astype(np.int16)
    return out


def as_float32(x: NDArray[np.floating], name: str = "audio") -> Float32Array:
    """Validate mono float audio and return it as float32 (no copy when it already is).

    Raises:
        AudioFormatError: not a 1-D floating-point array, or it holds NaN/inf.
    """
    _check_1d(x, name)
    if not np.issubdtype(x.dtype, np.floating):
        raise AudioFormatError(f"{name} must be floating point, got {x.dtype}")
    out = np.asarray(x, dtype=np.float32)
    if not np.isfinite(out).all():
        raise AudioFormatError(f"{name} contains NaN or infinite samples")
    return out


def resample(x: Float32Array, src_rate: int, dst_rate: int) -> Float32Array:
    """Resample a whole mono signal with soxr (high quality); identity when the rates match.

    The output has ``round(len(x) * dst_rate / src_rate)`` samples. For a live stream use
    ``Resampler``, which keeps the filter state across chunks.

    Raises:
        AudioFormatError: a rate <= 0 or invalid samples.
    """
    x = as_float32(x, "x")
    _check_rate(src_rate)
    _check_rate(dst_rate)
    if src_rate == dst_rate:
        return x
    return np.asarray(soxr.resample(x, src_rate, dst_rate), dtype=np.float32)


class Resampler:
    """Streaming resampler: feed chunks in order, call ``flush`` at the end of the stream."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        """Create a resampler from ``src_rate`` to ``dst_rate`` Hz."""
        _check_rate(src_rate)
        _check_rate(dst_rate)
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._stream = None if src_rate == dst_rate else soxr.ResampleStream(src_rate, dst_rate, 1)

    def process(self, chunk: Float32Array) -> Float32Array:
        """Resample the next chunk; the output lags the input by the filter delay."""
        chunk = as_float32(chunk, "chunk")
        if self._stream is None:
            return chunk
        return np.asarray(self._stream.resample_chunk(chunk), dtype=np.float32)

    def flush(self) -> Float32Array:
        """Return the samples still held in the filter."""
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self._stream.resample_chunk(np.zeros(0, np.float32), last=True), np.float32)


def frames(x: Float32Array, rate: int, frame_ms: int, *, pad_last: bool = True) -> Iterator[Float32Array]:
    """Split a signal into consecutive frames of ``frame_ms``.

    Full frames are views into ``x``. The last partial frame is zero-padded to full length (so no
    audio is lost) unless ``pad_last`` is False, in which case it is dropped.

    Raises:
        AudioFormatError: ``frame_ms`` does not give a whole, positive number of samples.
    """
    _check_rate(rate)
    size, rem = divmod(rate * frame_ms, 1000)
    if size <= 0 or rem:
        raise AudioFormatError(f"{frame_ms} ms at {rate} Hz is not a whole number of samples")
    full = len(x) // size
    for i in range(full):
        yield x[i * size : (i + 1) * size]
    tail = x[full * size :]
    if len(tail) and pad_last:
        padded = np.zeros(size, dtype=x.dtype)
        padded[: len(tail)] = tail
        yield padded


@dataclass(frozen=True)
class AudioFormat:
    """A wire format; converts to and from the engine's 16 kHz mono float32.

    Multi-channel input is interleaved and downmixed by averaging; output is duplicated to every channel.
    ``decode``/``encode`` resample each call independently: fine for whole clips or large chunks; for
    small streaming chunks pair the codec with a ``Resampler``.
    """

    rate: int
    encoding: Encoding = "pcm16"
    channels: int = 1

    def __post_init__(self) -> None:
        _check_rate(self.rate)
        if self.encoding not in ("pcm16", "mulaw"):
            raise AudioFormatError(f"unsupported encoding {self.encoding!r}")
        if self.channels < 1:
            raise AudioFormatError(f"channels must be >= 1, got {self.channels}")

    @property
    def bytes_per_frame(self) -> int:
        """Bytes per sample frame (all channels)."""
        return (2 if self.encoding == "pcm16" else 1) * self.channels

    def decode(self, data: bytes | bytearray | memoryview) -> Float32Array:
        """Decode wire bytes to 16 kHz mono float32.

        Raises:
            AudioFormatError: the byte count is not a whole number of sample frames.
        """
        if len(data) % self.bytes_per_frame:
            raise AudioFormatError(
                f"{len(data)} bytes is not a whole number of {self.encoding} frames "
                f"({self.bytes_per_frame} bytes each)"
            )
        x = pcm16_to_float(mulaw_decode(data) if self.encoding == "mulaw" else data)
        if self.channels > 1:
            x = x.reshape(-1, self.channels).mean(axis=1, dtype=np.float32)
        return resample(x, self.rate, INTERNAL_RATE)

    def encode(self, x: Float32Array) -> bytes:
        """Encode 16 kHz mono float32 as wire bytes."""
        pcm = float_to_pcm16(resample(x, INTERNAL_RATE, self.rate))
        if self.channels > 1:
            pcm = np.repeat(pcm, self.channels)
        return mulaw_encode(pcm) if self.encoding == "mulaw" else pcm.astype("<i2").tobytes()


TELEPHONY = AudioFormat(8000, "mulaw")
"""G.711 µ-law at 8 kHz, as sent by phone networks (e.g. Twilio Media Streams)."""

PCM16_16K = AudioFormat(INTERNAL_RATE, "pcm16")
"""16-bit PCM at 16 kHz mono, as sent by the drive-thru lane endpoint."""
