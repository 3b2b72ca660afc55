"""Whisper via faster-whisper (CTranslate2), tuned for short turns on a small CPU.

Decoding is at temperature 0 only, without timestamps, built-in VAD (the engine detects turns) or
conditioning on previous text. Menu vocabulary biases recognition through the decoder prompt
(``initial_prompt``): per-turn hotwords first, then the menu words, as a lower-case comma list capped
to ``prompt_tokens``. A prompt makes Whisper hallucinate prompt words on noise, so the number of new
tokens is bounded by the audio length and hypotheses that look like silence or repetition are dropped.

With ``beam_size`` > 1 an utterance of up to 30 s is decoded directly on the CTranslate2 model (one
encoder pass, one beam search) and the whole beam comes back as the transcript's ``alternatives``, so
the dialog can prefer the hypothesis the menu explains best (``orderline.nlu.nbest``). Greedy decoding
(``beam_size=1``) and longer audio go through ``faster_whisper.WhisperModel.transcribe``.

The encoder normally sees a 30 s window whatever the utterance length; most of the ASR time on a CPU.
``window_s`` shrinks it to ``max(window_s, utterance + 1 s)``: Whisper base with a 10 s window ran spoken
PIZZA dev in 352 ms per turn instead of 634 ms, at 86.8% instead of 87.4% exact match after the n-best
choice (tiny.en lost 4 points the same way, so it keeps the full window).
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from numpy.typing import NDArray

from orderline.asr.base import (
    SAMPLE_RATE,
    Alternative,
    Transcript,
    Word,
    logprob_confidence,
    segment_confidence,
)
from orderline.asr.models import DEFAULT_ASR_MODEL, resolve_asr_model

NO_SPEECH_THRESHOLD = 0.6
"""A segment whose no-speech probability is above this is treated as silence."""
COMPRESSION_RATIO_THRESHOLD = 2.4
"""A segment whose text compresses better than this is a repetition loop (hallucination)."""
LOG_PROB_THRESHOLD = -1.0
"""Segments after the first with a lower mean log-probability are dropped (hallucinated tails)."""
WINDOW_S = 30
"""Whisper's input window: the encoder always sees 30 s (shorter audio is zero-padded)."""
N_FRAMES = WINDOW_S * 100


def max_new_tokens(seconds: float) -> int:
    """Token budget for an utterance: enough for fast speech, too little for a hallucination loop."""
    return min(200, int(16 + 8 * seconds))


def compression_ratio(text: str) -> float:
    """How much better than 1 the text compresses (repetition loops compress very well)."""
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


class WhisperTranscriber:
    """A ``Transcriber`` backed by faster-whisper's CTranslate2 Whisper."""

    def __init__(
        self,
        model: str = DEFAULT_ASR_MODEL,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 5,
        vocabulary: Sequence[str] = (),
        prompt_tokens: int = 120,
        word_timestamps: bool = False,
        language: str = "en",
        window_s: int | None = None,
    ) -> None:
        """Load ``model`` (see ``orderline.asr.models``); ``beam_size`` > 1 also returns the n-best list
        and ``window_s`` (with a beam) shortens the encoder window for short turns."""
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size}")
        if window_s is not None and not 1 <= window_s <= WINDOW_S:
            raise ValueError(f"window_s must be within 1..{WINDOW_S}, got {window_s}")
        self.window_s = window_s
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
        multilingual = bool(self._model.model.is_multilingual)
        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=language if multilingual else None,
        )
        self._suppress = _suppressed_tokens(self._tokenizer)
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
        prompt = self.build_prompt(hotwords)
        if self.beam_size > 1 and not self.word_timestamps and samples.size <= WINDOW_S * SAMPLE_RATE:
            text, confidence, alternatives = self._decode_nbest(samples, prompt)
            return Transcript(
                text=text,
                confidence=confidence,
                latency_ms=(time.perf_counter() - started) * 1000.0,
                model=self.name,
                alternatives=alternatives,
            )
        return self._transcribe_segments(samples, prompt, started)

    def _decode_nbest(
        self, samples: NDArray[np.float32], prompt: str | None
    ) -> tuple[str, float, tuple[Alternative, ...]]:
        """One encoder pass and one beam search over a single window: (text, confidence, n-best)."""
        frames = self.window_frames(samples.size / SAMPLE_RATE)
        # Pad the audio (not the features) to the window, as Whisper was trained: the padding then reads
        # as silence at the utterance's own level floor rather than as zeros of the normalised log-mel.
        padded = np.zeros(frames * SAMPLE_RATE // 100, dtype=np.float32)
        padded[: min(samples.size, padded.size)] = samples[: padded.size]
        features = self._model.feature_extractor(padded)
        encoded = self._model.encode(np.ascontiguousarray(features[:, :frames]))
        tokenizer = self._tokenizer
        start = [*self._prompt_tokens(prompt), *tokenizer.sot_sequence, tokenizer.no_timestamps]
        result = self._model.model.generate(
            encoded,
            [start],
            beam_size=self.beam_size,
            num_hypotheses=self.beam_size,
            max_length=len(start) + max_new_tokens(samples.size / SAMPLE_RATE),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=list(self._suppress),
        )[0]
        no_speech = float(result.no_speech_prob)
        alternatives: list[Alternative] = []
        seen: set[str] = set()
        for tokens, score in zip(result.sequences_ids, result.scores, strict=True):
            text = " ".join(tokenizer.decode(tokens).split())
            # scores are cumulative log-probabilities divided by the length (length_penalty=1); Whisper's
            # avg_logprob counts the end-of-text token too.
            avg_logprob = float(score) * len(tokens) / (len(tokens) + 1)
            if not text or text in seen or compression_ratio(text) > COMPRESSION_RATIO_THRESHOLD:
                continue
            seen.add(text)
            alternatives.append(Alternative(text, avg_logprob))
        if not alternatives or no_speech > NO_SPEECH_THRESHOLD:
            return "", 0.0, ()
        best = alternatives[0]
        return best.text, logprob_confidence(best.avg_logprob, no_speech), tuple(alternatives)

    def window_frames(self, seconds: float) -> int:
        """Encoder input frames (100 per second) for an utterance of ``seconds``."""
        if self.window_s is None:
            return N_FRAMES
        return min(WINDOW_S, max(self.window_s, math.ceil(seconds + 1.0))) * 100

    def _prompt_tokens(self, prompt: str | None) -> list[int]:
        if not prompt:
            return []
        return [self._tokenizer.sot_prev, *self._tokenizer.encode(" " + prompt.strip())]

    def _transcribe_segments(
        self, samples: NDArray[np.float32], prompt: str | None, started: float
    ) -> Transcript:
        """Greedy decoding through faster-whisper's segment loop (any length, optional word timings)."""
        segments, _info = self._model.transcribe(
            samples,
            language=self.language,
            beam_size=self.beam_size,
            temperature=0.0,
            without_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            initial_prompt=prompt,
            word_timestamps=self.word_timestamps,
            max_new_tokens=max_new_tokens(samples.size / SAMPLE_RATE),
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


def _suppressed_tokens(tokenizer: Tokenizer) -> tuple[int, ...]:
    """Tokens never generated: non-speech symbols and the task/control tokens (as faster-whisper does)."""
    ids = set(tokenizer.non_speech_tokens)
    ids.update(
        (
            tokenizer.transcribe,
            tokenizer.translate,
            tokenizer.sot,
            tokenizer.sot_prev,
            tokenizer.sot_lm,
            tokenizer.no_speech,
        )
    )
    return tuple(sorted(ids))


def _plausible(index: int, segment: Any) -> bool:
    """False for segments that are silence, repetition loops or low-probability tails."""
    if segment.no_speech_prob > NO_SPEECH_THRESHOLD:
        return False
    if segment.compression_ratio > COMPRESSION_RATIO_THRESHOLD:
        return False
    return not (index > 0 and segment.avg_logprob < LOG_PROB_THRESHOLD)
