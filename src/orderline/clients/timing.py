"""What a client measures per turn: end of its speech to the first reply audio byte, wall clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Float32Array = NDArray[np.float32]


@dataclass
class ClientTurn:
    """One customer turn as the client saw it."""

    said: str
    first_audio_ms: float | None = None
    """End of customer speech (last audio byte sent) to the first reply audio byte received."""
    transcript: str = ""
    reply: str = ""
    state: str = ""
    total: str = ""
    server: dict[str, Any] = field(default_factory=dict)
    """The server's own first-audio figure for the turn (``first_audio`` event), when it sent one."""
    audio: list[Float32Array] = field(default_factory=list)

    @property
    def reply_audio(self) -> Float32Array:
        return np.concatenate(self.audio).astype(np.float32) if self.audio else np.zeros(0, dtype=np.float32)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q * 100)) if values else 0.0


def speech_end_s(audio: Float32Array, rate: int, floor_db: float = -40.0) -> float:
    """Where the speech in ``audio`` ends (seconds): the end of the last 10 ms frame within ``floor_db`` of
    the loudest frame. A recording's trailing silence is not speech: latency is counted from here."""
    frame = max(1, rate // 100)
    n = audio.size // frame
    if n == 0:
        return audio.size / rate
    frames = audio[: n * frame].reshape(n, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-12
    level = 20 * np.log10(rms / rms.max())
    voiced = np.nonzero(level > floor_db)[0]
    return float((voiced[-1] + 1) * frame / rate) if voiced.size else audio.size / rate
