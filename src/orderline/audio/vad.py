"""Streaming voice activity detection on 16 kHz mono float32 windows.

Two implementations of the ``Vad`` protocol: ``SileroVad`` (the Silero VAD ONNX model bundled with
faster-whisper, run directly with onnxruntime) and ``EnergyVad`` (an RMS level against a tracked noise
floor: cheap and deterministic, a fallback and the workhorse of tests). Helpers ``Windower`` and
``SpeechGate`` turn arbitrary chunks into windows and probabilities into speech/non-speech decisions.
"""

from __future__ import annotations

import importlib.util
import math
from collections import deque
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from orderline.audio.codecs import INTERNAL_RATE, AudioFormatError, Float32Array, as_float32

SAMPLE_RATE = INTERNAL_RATE
WINDOW_SAMPLES = 512
"""Samples per VAD window: 32 ms at 16 kHz, the window Silero VAD is trained on."""


class Vad(Protocol):
    """A stateful speech detector over fixed windows of 16 kHz mono float32."""

    @property
    def window_samples(self) -> int:
        """Samples per window passed to ``prob``."""
        ...

    def reset(self) -> None:
        """Forget all state (start of a new stream)."""
        ...

    def prob(self, window: Float32Array) -> float:
        """Speech probability in [0, 1] of the next window of the stream."""
        ...


class SileroVad:
    """Silero VAD v6 (as bundled by faster-whisper) run window by window with recurrent state.

    Each call feeds the 512 new samples prefixed with the last 64 samples of the previous window
    (its context), and carries the LSTM state ``h``/``c`` forward, exactly like faster-whisper's batched
    ``SileroVADModel`` does over a whole file.

    A live stream is not a file: a phone line streams silence for as long as the caller listens, and after
    ten seconds of near-digital silence the carried state goes deaf (a µ-law "yes" that scores 0.7-0.8 from a
    fresh state scores 0.3-0.45), so a short answer after a long reply was never heard. The state is
    therefore reset after ``idle_reset_ms`` of windows scoring under :data:`IDLE_PROB` (nothing that could
    be speech is lost: the turn detector ends a turn on less silence than that), to the state a fresh start
    reaches after that much silence: a state zeroed just before the customer speaks misses the onset too.
    """

    window_samples = WINDOW_SAMPLES
    context_samples = 64

    def __init__(self, model_path: str | Path | None = None, *, idle_reset_ms: int | None = 1000) -> None:
        """Load the model on one CPU thread.

        Args:
            model_path: an ONNX file with inputs ``input`` (n, 576), ``h``, ``c`` (1, 1, 128); by default
                the one in faster-whisper's ``assets/``.
            idle_reset_ms: reset the recurrent state after this much audio scoring under
                :data:`IDLE_PROB`; None carries it forever (as over a file).

        Raises:
            FileNotFoundError: no model given and faster-whisper's bundled model cannot be found.
            ValueError: the model does not have the expected inputs.
        """
        import onnxruntime  # imported here: heavy, and only this VAD needs it

        path = Path(model_path) if model_path is not None else default_silero_path()
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        names = {i.name for i in self._session.get_inputs()}
        if names != {"input", "h", "c"}:
            raise ValueError(
                f"{path}: expected a Silero VAD model with inputs input/h/c, got {sorted(names)}"
            )
        self.path = path
        self.idle_reset_windows = _idle_windows(idle_reset_ms)
        self._shared: dict[str, tuple[Any, Any]] = {}
        self.reset()

    def sibling(self) -> SileroVad:
        """A detector with its own recurrent state over this one's ONNX session (cheap: one per stream).

        ``InferenceSession.run`` is thread-safe, so many streams can share one loaded model.
        """
        twin = object.__new__(SileroVad)
        twin._session = self._session
        twin.path = self.path
        twin.idle_reset_windows = self.idle_reset_windows
        twin._shared = self._shared
        twin.reset()
        return twin

    def reset(self) -> None:
        """Zero the recurrent state and the context."""
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._input = np.zeros((1, self.context_samples + self.window_samples), dtype=np.float32)
        self._idle = 0

    def prob(self, window: Float32Array) -> float:
        """Speech probability of the next 512-sample window.

        Raises:
            AudioFormatError: wrong length, dtype or non-finite samples.
        """
        window = _check_window(window, self.window_samples)
        self._input[0, self.context_samples :] = window
        out, self._h, self._c = self._session.run(None, {"input": self._input, "h": self._h, "c": self._c})
        self._input[0, : self.context_samples] = window[-self.context_samples :]
        p = float(out.reshape(-1)[0])
        self._idle = self._idle + 1 if p < IDLE_PROB else 0
        if self.idle_reset_windows is not None and self._idle >= self.idle_reset_windows:
            self._h, self._c = (a.copy() for a in self._settled())
            self._input[0, : self.context_samples] = 0.0
            self._idle = 0
        return p

    def _settled(self) -> tuple[Any, Any]:
        """The state after ``idle_reset_windows`` of digital silence from a fresh start: what the idle reset
        returns to (a state zeroed just before the customer speaks hears the first syllables poorly)."""
        cached = self._shared.get("settled")
        if cached is None:
            h = np.zeros((1, 1, 128), dtype=np.float32)
            c = np.zeros((1, 1, 128), dtype=np.float32)
            x = np.zeros((1, self.context_samples + self.window_samples), dtype=np.float32)
            for _ in range(self.idle_reset_windows or 1):
                _, h, c = self._session.run(None, {"input": x, "h": h, "c": c})
            cached = (h, c)
            self._shared["settled"] = cached  # computed once per loaded model, shared by its siblings
        return cached


IDLE_PROB = 0.15
"""A window scoring under this counts toward the Silero state's idle reset."""


def _idle_windows(ms: int | None) -> int | None:
    if ms is None:
        return None
    if ms <= 0:
        raise ValueError("idle_reset_ms must be positive (or None)")
    return max(1, ms * SAMPLE_RATE // (1000 * WINDOW_SAMPLES))


def default_silero_path() -> Path:
    """Locate the Silero VAD ONNX model shipped in faster-whisper's ``assets/`` (without importing it).

    Raises:
        FileNotFoundError: faster-whisper is not installed or ships no ``silero_vad*.onnx``.
    """
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("Silero VAD model not found: install faster-whisper (it bundles the model)")
    assets = Path(next(iter(spec.submodule_search_locations))) / "assets"
    models = sorted(assets.glob("silero_vad*.onnx"))
    if not models:
        raise FileNotFoundError(f"no silero_vad*.onnx in {assets}")
    return models[-1]


class EnergyVad:
    """RMS-level detector against a noise floor tracked by minimum statistics.

    The probability is a logistic function of the window level above
    ``max(noise_floor + margin_db, min_level_db)``. The floor is the quietest window of the last
    ``floor_window_ms``: speech has pauses, so the floor stays at the background level while the
    customer talks, and a louder background (a fan, an idling engine) becomes the floor once it has
    lasted that long. Until that much audio has been seen, ``initial_floor_db`` caps the floor, so a
    stream that opens with speech is still heard. It cannot tell speech from other sounds (a cough, a
    horn): only their duration separates them, in the turn detector.
    """

    window_samples = WINDOW_SAMPLES

    def __init__(
        self,
        *,
        margin_db: float = 12.0,
        min_level_db: float = -50.0,
        slope_db: float = 2.0,
        initial_floor_db: float = -50.0,
        floor_window_ms: int = 3000,
    ) -> None:
        """Configure the detector (levels are dB relative to full scale, RMS of a window).

        Args:
            margin_db: level above the noise floor that gives probability 0.5.
            min_level_db: absolute level below which nothing is speech (digital silence, line hiss).
            slope_db: dB per logistic unit: smaller is a harder decision.
            initial_floor_db: the highest floor assumed before ``floor_window_ms`` of audio.
            floor_window_ms: how far back the floor looks for the quietest window.
        """
        self.margin_db = margin_db
        self.min_level_db = min_level_db
        self.slope_db = slope_db
        self.initial_floor_db = initial_floor_db
        size = max(1, floor_window_ms * SAMPLE_RATE // (1000 * self.window_samples))
        self._levels: deque[float] = deque(maxlen=size)
        self.reset()

    @property
    def noise_floor_db(self) -> float:
        """Current noise-floor estimate in dBFS."""
        return self._floor

    def reset(self) -> None:
        """Forget the measured levels."""
        self._levels.clear()
        self._floor = self.initial_floor_db

    def prob(self, window: Float32Array) -> float:
        """Speech probability of the next window from its level above the noise floor."""
        window = _check_window(window, self.window_samples)
        level = 10.0 * math.log10(float(np.dot(window, window)) / len(window) + 1e-12)
        threshold = max(self._floor + self.margin_db, self.min_level_db)
        z = max(-50.0, min(50.0, (level - threshold) / self.slope_db))
        self._levels.append(level)
        floor = min(self._levels)
        if len(self._levels) < (self._levels.maxlen or 0):
            floor = min(floor, self.initial_floor_db)
        self._floor = max(floor, -100.0)
        return 1.0 / (1.0 + math.exp(-z))


class Windower:
    """Re-chunks a stream of arbitrary-size chunks into fixed windows."""

    def __init__(self, window_samples: int = WINDOW_SAMPLES) -> None:
        """Create a windower for windows of ``window_samples``."""
        if window_samples <= 0:
            raise ValueError("window_samples must be positive")
        self.window_samples = window_samples
        self._pending = np.zeros(0, dtype=np.float32)

    @property
    def pending_samples(self) -> int:
        """Samples received but not yet returned in a full window."""
        return len(self._pending)

    def feed(self, chunk: Float32Array) -> list[Float32Array]:
        """Add a chunk and return every full window now available, in order.

        Raises:
            AudioFormatError: the chunk is not 1-D finite float audio.
        """
        chunk = as_float32(chunk, "chunk")
        buf = np.concatenate([self._pending, chunk]) if len(self._pending) else chunk
        n = len(buf) // self.window_samples
        self._pending = buf[n * self.window_samples :].copy()
        return [buf[i * self.window_samples : (i + 1) * self.window_samples].copy() for i in range(n)]

    def reset(self) -> None:
        """Drop pending samples."""
        self._pending = np.zeros(0, dtype=np.float32)


class SpeechGate:
    """Hysteresis on speech probabilities: open at ``threshold``, close below ``neg_threshold``."""

    def __init__(self, threshold: float = 0.5, neg_threshold: float = 0.35) -> None:
        """Create a closed gate.

        Raises:
            ValueError: thresholds outside 0 < neg_threshold <= threshold < 1.
        """
        if not 0.0 < neg_threshold <= threshold < 1.0:
            raise ValueError("need 0 < neg_threshold <= threshold < 1")
        self.threshold = threshold
        self.neg_threshold = neg_threshold
        self.open = False

    def update(self, prob: float) -> bool:
        """Feed one window's probability; return whether that window counts as speech."""
        self.open = prob >= (self.neg_threshold if self.open else self.threshold)
        return self.open


def _check_window(window: Float32Array, size: int) -> Float32Array:
    window = as_float32(window, "window")
    if len(window) != size:
        raise AudioFormatError(f"VAD window must have {size} samples, got {len(window)}")
    return window
