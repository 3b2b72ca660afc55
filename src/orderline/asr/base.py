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
class Alternative:
    """One hypothesis of an n-best list: its text and mean token log-probability (higher is likelier)."""

    text: str
    avg_logprob: float


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was heard in one utterance.

    ``confidence`` is in 0..1: the mean token probability (``exp`` of the token-weighted
    ``avg_logprob``) times the probability that the audio holds speech (``1 - no_speech_prob``);
    0.0 when nothing was recognised. ``words`` is ``None`` unless word timings were requested.
    ``alternatives`` is the recogniser's n-best list, best first (``text`` is the first); empty when
    the recogniser gave one hypothesis only.
    """

    text: str
    confidence: float
    latency_ms: float
    model: str
    words: tuple[Word, ...] | None = None
    alternatives: tuple[Alternative, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class Transcriber(Protocol):
    """A speech recogniser for whole utterances (the engine does its own turn detection)."""

    name: str

    def transcribe(self, audio: NDArray[np.float32], hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe 16 kHz mono float32 ``audio``; ``hotwords`` are extra words likely in this turn."""
        ...


def logprob_confidence(avg_logprob: float, no_speech_prob: float) -> float:
    """Confidence in 0..1 of one hypothesis: mean token probability times the probability of speech."""
    return min(max(math.exp(min(avg_logprob, 0.0)) * (1.0 - no_speech_prob), 0.0), 1.0)


def segment_confidence(segments: Sequence[tuple[float, float, int]]) -> float:
    """Confidence in 0..1 from ``(avg_logprob, no_speech_prob, n_tokens)`` per segment (0.0 for none)."""
    weights = [max(n, 1) for _, _, n in segments]
    total = sum(weights)
    if not total:
        return 0.0
    logprob = sum(lp * w for (lp, _, _), w in zip(segments, weights, strict=True)) / total
    no_speech = sum(ns * w for (_, ns, _), w in zip(segments, weights, strict=True)) / total
    return logprob_confidence(logprob, no_speech)
