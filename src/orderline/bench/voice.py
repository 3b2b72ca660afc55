"""``orderline bench voice``: latency of spoken turns and spoken PIZZA accuracy, end to end.

- **Latency**: customer turns synthesized from the three menus are streamed through
  ``VoiceSession.feed`` in 20 ms chunks (with silence before and after); each turn's end-of-speech to
  first-reply-audio time is broken down by stage (``dialog.voice.STAGES``). A turn prepared during the
  customer's pause counts ``max(endpoint, lead + preparation)``: the preparation runs while the endpoint
  silence is still arriving (see ``VoiceSession._commit``).
- **Accuracy**: each PIZZA ``src`` is spoken by a disguised voice (the bundled Piper voice slowed down,
  pitched up by resampling and with different noise scales, so not the voice the ASR prompt was checked
  on), mixed with synthetic drive-thru noise at a fixed SNR and run through ASR -> understanding -> order
  on a fresh order; the order's EXR is scored by unordered exact match, like ``bench pizza``.
- **Index**: WAV files listed in a JSON-lines index are run through the whole voice pipeline and one
  ``{"src", "exr"}`` line is written per input line, in order.

Synthesized customer audio is cached as ``.npy`` files keyed by text and voice parameters.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.codecs import resample
from orderline.audio.wav import read_wav
from orderline.bench.exr import categories, order_to_exr, unordered_equal
from orderline.bench.noise import drive_thru_noise, mix_at_snr
from orderline.bench.pizza import Example, Understand, understand_utterance
from orderline.core.errors import OrderlineError
from orderline.core.text import normalize
from orderline.dialog.blocking import run_blocking
from orderline.dialog.voice import STAGES, VoiceSession, VoiceTurn, stream_utterance
from orderline.menu.schema import Menu
from orderline.tts.base import Synthesizer

Float32Array = NDArray[np.float32]
Progress = Callable[[int], None]
SessionFactory = Callable[[], VoiceSession]

CACHE_VERSION = 1
SENTENCE_GAP_MS = 150

LATENCY_TURNS: dict[str, tuple[str, ...]] = {
    "burger": (
        "a cheeseburger with no onions",
        "a large fries",
        "a bacon cheeseburger with extra cheese",
        "two hamburgers with no pickles",
        "a medium coke",
        "a spicy chicken sandwich with no mayo",
        "a small chocolate shake",
        "a veggie burger with no tomato",
        "a large onion rings",
        "that's it",
    ),
    "pizza": (
        "a large pepperoni pizza",
        "a medium pizza with mushrooms and onions",
        "two small pizzas with ham",
        "a large pizza with extra cheese",
        "a medium thin crust pizza with sausage",
        "a large pizza with no cheese",
        "a small pizza with green peppers and olives",
        "a coke",
        "a large pizza with bacon and pineapple",
        "that's all",
    ),
    "coffee": (
        "a large latte",
        "a medium oat milk latte",
        "a small cappuccino with an extra shot",
        "a large iced coffee with vanilla",
        "a medium mocha with no whipped cream",
        "a blueberry muffin",
        "a small hot chocolate",
        "a large cold brew",
        "a medium chai latte with almond milk",
        "that's it",
    ),
}
"""Customer turns for the latency run: simple orders with sizes and modifiers, one conversation per menu."""


# -- voices and the audio cache -----------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceSpec:
    """How a customer voice is rendered: Piper synthesis scales plus a pitch shift by resampling.

    ``pitch`` > 1 raises the pitch (and shortens the audio by the same factor, which ``length_scale``
    partly undoes). ``None`` scales leave the voice's defaults.
    """

    name: str
    length_scale: float | None = None
    noise_scale: float | None = None
    noise_w_scale: float | None = None
    pitch: float = 1.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.pitch <= 2.0:
            raise ValueError(f"pitch factor must be within 0.5..2, got {self.pitch}")


PLAIN_VOICE = VoiceSpec("plain", noise_scale=0.0, noise_w_scale=0.0)
"""The bundled voice, deterministic: used for the latency run and tests."""
DISGUISED_VOICE = VoiceSpec("disguised", length_scale=1.15, noise_scale=0.5, noise_w_scale=0.9, pitch=1.12)
"""The bundled voice disguised: slower, pitched up ~2 semitones, different prosody noise."""


def shift_pitch(audio: Float32Array, factor: float, rate: int = SAMPLE_RATE) -> Float32Array:
    """Raise (``factor`` > 1) or lower the pitch by resampling; duration divides by ``factor``."""
    if factor == 1.0 or audio.size == 0:
        return audio
    return resample(audio, round(rate * factor), rate)


class CachedVoice:
    """Text -> 16 kHz audio, cached on disk under a key of the text and the voice's parameters.

    Subclasses give ``parameters`` (what makes the voice) and ``render`` (the synthesis)."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.hits = 0
        self.misses = 0

    def parameters(self) -> dict[str, object]:
        raise NotImplementedError

    def render(self, text: str) -> Float32Array:
        raise NotImplementedError

    def key(self, text: str) -> str:
        data = {"v": CACHE_VERSION, "text": text, **self.parameters()}
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]

    def say(self, text: str) -> Float32Array:
        """The spoken ``text`` at 16 kHz (from the cache when it was rendered before)."""
        path = self.cache_dir / f"{self.key(text)}.npy" if self.cache_dir is not None else None
        if path is not None and path.is_file():
            self.hits += 1
            cached: Float32Array = np.load(path).astype(np.float32, copy=False)
            return cached
        self.misses += 1
        audio = self.render(text)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial.npy")
            np.save(partial, audio)
            partial.replace(path)
        return audio


class Speaker(CachedVoice):
    """A customer voice from the bundled Piper model under a :class:`VoiceSpec`."""

    def __init__(self, synthesizer: Synthesizer, spec: VoiceSpec, cache_dir: Path | None = None) -> None:
        """``synthesizer`` must already be built with ``spec``'s Piper scales (the CLI does it)."""
        super().__init__(cache_dir)
        self.synthesizer = synthesizer
        self.spec = spec

    def parameters(self) -> dict[str, object]:
        return {"voice": self.synthesizer.name, **asdict(self.spec)}

    def render(self, text: str) -> Float32Array:
        gap = np.zeros(SAMPLE_RATE * SENTENCE_GAP_MS // 1000, dtype=np.float32)
        parts: list[Float32Array] = []
        for chunk in self.synthesizer.synthesize(text):
            pcm = np.asarray(chunk.pcm, dtype=np.float32)
            if chunk.rate != SAMPLE_RATE:
                pcm = resample(pcm, chunk.rate, SAMPLE_RATE)
            parts.extend((gap, pcm) if parts else (pcm,))
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return shift_pitch(audio, self.spec.pitch).astype(np.float32, copy=False)


# -- statistics ---------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1); 0.0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edit distance, reference words) on normalised tokens."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1], len(ref)


# -- latency ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class LatencyResult:
    stages_ms: dict[str, list[float]] = field(default_factory=dict)
    turns: int = 0
    missed: int = 0
    split: int = 0
    prepared: int = 0
    transcripts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, turn: VoiceTurn) -> None:
        for stage in (*STAGES, "first_audio", "tts_total"):
            self.stages_ms.setdefault(stage, []).append(turn.timings_ms[stage])
        if turn.timings_ms.get("prepared"):
            self.prepared += 1
            self.stages_ms.setdefault("lead", []).append(turn.timings_ms["lead"])

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            stage: {
                "p50": round(percentile(values, 0.5), 1),
                "p95": round(percentile(values, 0.95), 1),
                "mean": round(sum(values) / len(values), 1) if values else 0.0,
            }
            for stage, values in self.stages_ms.items()
        }

    def to_json(self) -> dict[str, object]:
        errors = sum(word_errors(ref, hyp)[0] for ref, hyp in self.transcripts)
        words = sum(word_errors(ref, hyp)[1] for ref, hyp in self.transcripts)
        return {
            "turns": self.turns,
            "missed": self.missed,
            "split": self.split,
            "prepared": self.prepared,
            "wer": round(errors / words, 4) if words else None,
            "ms": self.summary(),
        }


def run_latency(
    conversations: Sequence[tuple[VoiceSession, Sequence[Float32Array], Sequence[str]]],
    chunk_ms: int = 20,
    progress: Progress | None = None,
) -> LatencyResult:
    """Stream every turn of every conversation and collect per-stage timings of the detected turns.

    Each item is ``(session, utterances, texts)``; the customer waits for each reply to finish playing
    before speaking again. A turn that gives no ``VoiceTurn`` counts as missed; one that gives several
    counts as split (only the last is timed).
    """
    result = LatencyResult()
    for session, utterances, texts in conversations:
        for audio, text in zip(utterances, texts, strict=True):
            turns = stream_utterance(session, audio, chunk_ms=chunk_ms).turns
            result.turns += 1
            if not turns:
                result.missed += 1
            else:
                result.split += len(turns) > 1
                result.add(turns[-1])
                result.transcripts.append((text, " ".join(t.text for t in turns)))
            if progress is not None:
                progress(1)
    return result


# -- spoken PIZZA ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class SpokenResult:
    total: int = 0
    correct: int = 0
    text_correct: int = 0
    unintelligible: int = 0
    word_errors: int = 0
    words: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)
    asr_ms: list[float] = field(default_factory=list)
    audio_s: float = 0.0
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def text_accuracy(self) -> float:
        return self.text_correct / self.total if self.total else 0.0

    @property
    def wer(self) -> float:
        return self.word_errors / self.words if self.words else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "total": self.total,
            "correct": self.correct,
            "exact_match": round(self.accuracy, 4),
            "text_exact_match": round(self.text_accuracy, 4),
            "wer": round(self.wer, 4),
            "unintelligible": self.unintelligible,
            "by_category": {
                k: {"total": v[1], "correct": v[0], "exact_match": round(v[0] / v[1], 4) if v[1] else None}
                for k, v in sorted(self.by_category.items())
            },
            "asr_ms": {
                "p50": round(percentile(self.asr_ms, 0.5), 1),
                "p95": round(percentile(self.asr_ms, 0.95), 1),
            },
            "audio_seconds": round(self.audio_s, 1),
            "seconds": round(self.seconds, 1),
        }


def noisy(audio: Float32Array, snr_db: float | None, seed: int) -> Float32Array:
    """``audio`` with drive-thru noise (seeded) at ``snr_db``; unchanged when ``snr_db`` is None."""
    if snr_db is None or audio.size == 0:
        return audio
    return mix_at_snr(audio, drive_thru_noise(audio.size, SAMPLE_RATE, seed), snr_db)


class Says(Protocol):
    """A customer voice: text -> 16 kHz float32 audio (``Speaker``, or espeak-ng in ``bench.conditions``)."""

    def say(self, text: str) -> Float32Array: ...


def run_spoken(
    examples: Sequence[Example],
    speaker: Says,
    make_session: SessionFactory,
    menu: Menu,
    *,
    snr_db: float | None = 10.0,
    text_understand: Understand | None = None,
    progress: Progress | None = None,
    channel: Callable[[Float32Array, int], Float32Array] | None = None,
) -> SpokenResult:
    """Speak each ``src``, add noise, run it through a fresh voice session and score the order's EXR.

    ``text_understand`` also parses the clean text, for the text-only exact match on the same subset.
    ``channel(audio, seed)``, when given, replaces the drive-thru noise at ``snr_db`` (a listening condition).
    """
    result = SpokenResult()
    started = time.perf_counter()
    for n, example in enumerate(examples):
        clean = speaker.say(example.src)
        audio = channel(clean, n) if channel is not None else noisy(clean, snr_db, seed=n)
        result.audio_s += audio.size / SAMPLE_RATE
        turn = make_session().respond(audio, speak=False)
        result.asr_ms.append(turn.timings_ms["asr"])
        result.unintelligible += not turn.intelligible
        errors, words = word_errors(example.src, turn.text)
        result.word_errors += errors
        result.words += words
        if example.exr is not None:
            ok = unordered_equal(order_to_exr(turn.order, menu), example.exr)
            result.total += 1
            result.correct += ok
            if text_understand is not None:
                text_exr, _ms, _u = run_blocking(understand_utterance(example.src, text_understand, menu))
                result.text_correct += unordered_equal(text_exr, example.exr)
            for cat in categories(example.exr):
                counts = result.by_category.setdefault(cat, [0, 0])
                counts[0] += ok
                counts[1] += 1
        if progress is not None:
            progress(1)
    result.seconds = time.perf_counter() - started
    return result


def customer_speaker(cache_dir: Path | None = None, spec: VoiceSpec = DISGUISED_VOICE) -> Speaker:
    """A customer voice for benchmarks and tests: the bundled Piper voice rendered with ``spec``."""
    from orderline.tts.piper import PiperSynthesizer

    synth = PiperSynthesizer(
        output_rate=SAMPLE_RATE,
        length_scale=spec.length_scale,
        noise_scale=spec.noise_scale,
        noise_w_scale=spec.noise_w_scale,
    )
    return Speaker(synth, spec, cache_dir)


# -- index mode -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexEntry:
    wav: Path
    src: str | None
    exr: str | None


def read_index(path: Path) -> list[IndexEntry]:
    """JSON lines ``{"wav": PATH, "src": ..., "exr": ...}``; relative paths are resolved against the
    index file's folder.

    Raises:
        OrderlineError: a line is not a JSON object with a string ``wav``.
    """
    entries: list[IndexEntry] = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise OrderlineError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("wav"), str):
                raise OrderlineError(f"{path}:{number}: needs a 'wav' path")
            wav = Path(row["wav"])
            src = row.get("src")
            exr = row.get("exr")
            entries.append(
                IndexEntry(
                    wav if wav.is_absolute() else path.parent / wav,
                    src if isinstance(src, str) else None,
                    exr if isinstance(exr, str) else None,
                )
            )
    return entries


def load_utterance(path: Path) -> Float32Array:
    """A WAV file as 16 kHz mono float32 (any rate; stereo is downmixed)."""
    audio, rate = read_wav(path)
    return resample(audio, rate, SAMPLE_RATE) if rate != SAMPLE_RATE else audio


@dataclass(slots=True)
class IndexResult:
    total: int = 0
    scored: int = 0
    correct: int = 0
    seconds: float = 0.0
    first_audio_ms: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0


def run_index(
    entries: Sequence[IndexEntry],
    make_session: SessionFactory,
    menu: Menu,
    out: Path,
    progress: Progress | None = None,
) -> IndexResult:
    """Run each WAV through a fresh voice session (reply synthesized too); write ``{src, exr}`` lines.

    ``src`` is the index's own ``src`` when given, else the transcript. Lines keep the index's order.
    """
    result = IndexResult()
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as handle:
        for entry in entries:
            turn = make_session().respond(load_utterance(entry.wav))
            exr = order_to_exr(turn.order, menu)
            src = entry.src if entry.src is not None else turn.text
            handle.write(json.dumps({"src": src, "exr": exr}) + "\n")
            result.total += 1
            result.first_audio_ms.append(turn.timings_ms["first_audio"])
            if entry.exr is not None:
                result.scored += 1
                result.correct += unordered_equal(exr, entry.exr)
            if progress is not None:
                progress(1)
    result.seconds = time.perf_counter() - started
    return result
