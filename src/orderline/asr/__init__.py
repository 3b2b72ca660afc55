"""Speech recognition: the ``Transcriber`` contract and model locations.

The faster-whisper backend lives in ``orderline.asr.whisper`` (imported on demand: it is heavy).
"""

from orderline.asr.base import (
    SAMPLE_RATE,
    Alternative,
    Transcriber,
    Transcript,
    Word,
    logprob_confidence,
    segment_confidence,
)
from orderline.asr.models import DEFAULT_ASR_MODEL, resolve_asr_model

__all__ = [
    "DEFAULT_ASR_MODEL",
    "SAMPLE_RATE",
    "Alternative",
    "Transcriber",
    "Transcript",
    "Word",
    "logprob_confidence",
    "resolve_asr_model",
    "segment_confidence",
]
