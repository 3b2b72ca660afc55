"""Speech-to-text contract: a ``Transcriber`` turns one utterance (16 kHz mono float32) into a ``Transcript``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE = 16_000
"""Rate every transcriber expects its input at."""


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its time span (seconds from the start of the utterance)."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was heard in one utterance.

    ``confidence`` is in 0..1: the mean token probability (``exp`` of the token-weighted
    ``avg_logprob``) times the probability that the audio holds speech (``1 - no_speech_prob``);
    0.0 when nothing was recognised. ``words`` is ``None`` unless word timings were requested.
    """

    text: str
    confidence: float
    latency_ms: float
    model: str
    words: tuple[Word, ...] | None = None

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class Transcriber(Protocol):
    """A speech recogniser for whole utterances (the engine does its own turn detection)."""

    name: str

    def transcribe(self, audio: NDArray[np.float32], hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe 16 kHz mono float32 ``audio``; ``hotwords`` are extra words likely in this turn."""
        ...


def segment_confidence(segments: Sequence[tuple[float, float, int]]) -> float:
    """Confidence in 0..1 from ``(avg_logprob, no_speech_prob, n_tokens)`` per segment (0.0 for none)."""
    weights = [max(n, 1) for _, _, n in segments]
    total = sum(weights)
    if not total:
        return 0.0
    logprob = sum(lp * w for (lp, _, _), w in zip(segments, weights, strict=True)) / total
    no_speech = sum(ns * w for (_, ns, _), w in zip(segments, weights, strict=True)) / total
    value = math.exp(min(logprob, 0.0)) * (1.0 - no_speech)
    return min(max(value, 0.0), 1.0)
