"""Whisper via faster-whisper (CTranslate2), tuned for short turns on a small CPU.

Greedy decoding at temperature 0 only, no timestamps, no built-in VAD (the engine detects turns),
no conditioning on previous text. Menu vocabulary biases recognition through the decoder prompt
(``initial_prompt``): per-turn hotwords first, then the menu words, as a lower-case comma list capped
to ``prompt_tokens``. A prompt makes Whisper hallucinate prompt words on noise, so the number of new
tokens is bounded by the audio length and segments that look like silence or repetition are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from numpy.typing import NDArray

from orderline.asr.base import SAMPLE_RATE, Transcript, Word, segment_confidence
from orderline.asr.models import DEFAULT_ASR_MODEL, resolve_asr_model

NO_SPEECH_THRESHOLD = 0.6
"""A segment whose no-speech probability is above this is treated as silence."""
COMPRESSION_RATIO_THRESHOLD = 2.4
"""A segment whose text compresses better than this is a repetition loop (hallucination)."""
LOG_PROB_THRESHOLD = -1.0
"""Segments after the first with a lower mean log-probability are dropped (hallucinated tails)."""


class WhisperTranscriber:
    """A ``Transcriber`` backed by ``faster_whisper.WhisperModel``."""

    def __init__(
        self,
        model: str = DEFAULT_ASR_MODEL,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 1,
        vocabulary: Sequence[str] = (),
        prompt_tokens: int = 120,
        word_timestamps: bool = False,
        language: str = "en",
    ) -> None:
        self.model_path = resolve_asr_model(model)
        self.name = f"whisper:{model}"
        self.beam_size = beam_size
        self.prompt_tokens = prompt_tokens
        self.word_timestamps = word_timestamps
        self.language = language
        self._model = WhisperModel(
            self.model_path,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
        self.vocabulary: tuple[str, ...] = tuple(vocabulary)
        self._token_counts: dict[str, int] = {}

    def count_tokens(self, text: str) -> int:
        """Number of Whisper tokens in ``text`` (as it would appear inside the prompt)."""
        count = self._token_counts.get(text)
        if count is None:
            count = len(self._model.hf_tokenizer.encode(" " + text, add_special_tokens=False).ids)
            self._token_counts[text] = count
        return count

    def build_prompt(self, hotwords: Sequence[str] = ()) -> str | None:
        """The biasing prompt: ``hotwords`` then the vocabulary, de-duplicated, within ``prompt_tokens``."""
        if self.prompt_tokens <= 0:
            return None
        words: list[str] = []
        seen: set[str] = set()
        used = 0
        for raw in (*hotwords, *self.vocabulary):
            word = " ".join(raw.lower().replace(",", " ").split())
            if not word or word in seen:
                continue
            cost = self.count_tokens(word + ",")
            if used + cost > self.prompt_tokens:
                break
            seen.add(word)
            words.append(word)
            used += cost
        return ", ".join(words) or None

    def transcribe(self, audio: NDArray[np.float32], hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe one utterance of 16 kHz mono float32 audio."""
        started = time.perf_counter()
        samples = np.asarray(audio, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono audio (1-D array), got shape {samples.shape}")
        if samples.size == 0:
            return Transcript(text="", confidence=0.0, latency_ms=0.0, model=self.name)
        seconds = samples.size / SAMPLE_RATE
        segments, _info = self._model.transcribe(
            samples,
            language=self.language,
            beam_size=self.beam_size,
            temperature=0.0,
            without_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            initial_prompt=self.build_prompt(hotwords),
            word_timestamps=self.word_timestamps,
            max_new_tokens=min(200, int(16 + 8 * seconds)),
        )
        kept = [s for i, s in enumerate(segments) if _plausible(i, s)]
        text = " ".join(" ".join(s.text.split()) for s in kept).strip()
        confidence = segment_confidence([(s.avg_logprob, s.no_speech_prob, len(s.tokens)) for s in kept])
        words: tuple[Word, ...] | None = None
        if self.word_timestamps:
            words = tuple(
                Word(
                    text=w.word.strip(),
                    start=float(w.start),
                    end=float(w.end),
                    probability=float(w.probability),
                )
                for s in kept
                for w in s.words or ()
            )
        return Transcript(
            text=text,
            confidence=confidence if text else 0.0,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            model=self.name,
            words=words,
        )


def _plausible(index: int, segment: Any) -> bool:
    """False for segments that are silence, repetition loops or low-probability tails."""
    if segment.no_speech_prob > NO_SPEECH_THRESHOLD:
        return False
    if segment.compression_ratio > COMPRESSION_RATIO_THRESHOLD:
        return False
    return not (index > 0 and segment.avg_logprob < LOG_PROB_THRESHOLD)
