"""A voice conversation: turn detection -> ASR (menu-biased) -> understanding -> order -> streamed TTS reply.

``VoiceSession`` wraps a ``TextSession`` (understanding, the order state machine and reply planning) with
the audio stages. It talks only to the protocols (``Vad``, ``Transcriber``, ``Understander``,
``Synthesizer``); the CLI (or the API) chooses and injects the concrete classes::

    session = VoiceSession.start(menu, RuleMatcher(menu), WhisperTranscriber(), PiperSynthesizer(), SileroVad())
    for event in session.feed(chunk):       # 16 kHz mono float32, any chunk size
        if isinstance(event, VoiceTurn):
            play(event.audio)               # the reply, one chunk per sentence

``feed`` runs one VAD per 32 ms window for both the turn detector (end of the customer's utterance) and
the barge-in detector (the customer talking over a reply that is playing). Playback is modelled in stream
time: a reply starts "playing" when its turn is returned and lasts as long as its audio. ``respond`` takes
a whole utterance instead (files, benchmarks). Reply chunks reach ``on_audio`` (the transport's sink) one
sentence at a time, as soon as each is synthesized.

A transcript is not acted on when it is empty, very unsure (ASR confidence < ``MIN_CONFIDENCE``), or
unsure (< ``DOUBT_CONFIDENCE``) with words tier 1 cannot place: the customer hears "Sorry, I didn't catch
that" plus the pending question, and the order is left exactly as it was.

Every ``VoiceTurn`` records per-stage timings in milliseconds: ``endpoint`` (silence waited after the end
of speech before the turn was closed, in stream time), ``asr``, ``rescore`` (choosing among the ASR's n-best
hypotheses the one tier 1 explains best, see ``orderline.nlu.nbest``), ``nlu``, ``order``, ``reply``,
``tts_first`` (until the first reply chunk was ready) and ``first_audio``, their sum: end of speech to first
reply audio.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from orderline.asr.base import SAMPLE_RATE, Alternative, Transcriber, Transcript
from orderline.audio.codecs import resample
from orderline.audio.turns import (
    Backchannel,
    BargeIn,
    BargeInConfig,
    BargeInConfirmed,
    BargeInDetector,
    EndpointConfig,
    SpeechPaused,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
    TurnEvent,
)
from orderline.audio.vad import Vad, Windower
from orderline.dialog.blocking import run_blocking
from orderline.dialog.hearing import expected_answers, menu_vocabulary, sounds_complete
from orderline.dialog.session import TextSession, Turn
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.coverage import Coverage, Understanding
from orderline.nlu.matcher import RuleMatcher
from orderline.nlu.nbest import choose_hypothesis, snap_to_answer
from orderline.order.clarify import first_missing
from orderline.order.replies import question
from orderline.order.state import DialogState, Order
from orderline.tts.base import AudioChunk, Synthesizer

Float32Array = NDArray[np.float32]

__all__ = [
    "STAGES",
    "StreamResult",
    "TurnDropped",
    "TurnStarted",
    "VoiceEvent",
    "VoiceSession",
    "VoiceTurn",
    "expected_answers",
    "menu_vocabulary",
    "sounds_complete",
    "stream_utterance",
]

STAGES = ("endpoint", "asr", "rescore", "nlu", "order", "reply", "tts_first")
"""The stages whose sum is ``first_audio`` (end of speech to the first reply audio)."""
DIDNT_CATCH = "Sorry, I didn't catch that."
MIN_CONFIDENCE = 0.3
"""Transcripts below this ASR confidence are not acted on (reversed or mumbled speech and noise that
Whisper turned into words mostly score 0.1-0.4; a clear "small" scores 0.4, "yes" 0.6)."""
DOUBT_CONFIDENCE = 0.5
"""Below this confidence a transcript is acted on only if tier 1 explains all its content words: garbled
audio comes out as non-words ("sauce, the was needed", 0.36), while real speech in 10 dB drive-thru
noise scored 0.53 and up on 140 spoken pizza orders."""


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """The customer started speaking (``t_ms``: onset in stream time)."""

    t_ms: int


@dataclass(frozen=True, slots=True)
class TurnDropped:
    """An utterance that is not a turn: a backchannel ("mhm") heard over a reply."""

    start_ms: int
    end_ms: int
    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class VoiceTurn:
    """One spoken turn: what was heard, what the text dialog did, and the reply audio.

    Attributes:
        transcript: the ASR result (text, confidence).
        turn: the text turn (understanding, events, reply, order); unchanged order when not understood.
        audio: the reply, one chunk per sentence, at the session's ``out_rate``.
        timings_ms: per-stage milliseconds (see the module docstring), plus ``tts_total``.
        heard: the turn detector's ``TurnEnded`` when the turn came from ``feed`` (stream times).
        intelligible: False when the transcript was empty or too unsure to act on.
        hypothesis: rank of the ASR hypothesis acted on (0: the recogniser's best; see ``transcript``).
    """

    transcript: Transcript
    turn: Turn
    audio: tuple[AudioChunk, ...]
    timings_ms: dict[str, float]
    heard: TurnEnded | None = None
    intelligible: bool = True
    hypothesis: int = 0

    @property
    def text(self) -> str:
        """What was acted on: the chosen ASR hypothesis."""
        return self.turn.text

    @property
    def reply(self) -> str:
        return self.turn.reply

    @property
    def order(self) -> Order:
        return self.turn.order

    @property
    def pcm(self) -> Float32Array:
        """The whole reply as one array (empty when there is nothing to say)."""
        if not self.audio:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([c.pcm for c in self.audio]).astype(np.float32, copy=False)

    @property
    def duration_ms(self) -> int:
        return round(sum(c.duration_s for c in self.audio) * 1000)


VoiceEvent = TurnStarted | TurnDropped | VoiceTurn | BargeIn | BargeInConfirmed | Backchannel
"""What ``feed`` reports, in stream order."""


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class VoiceSession:
    """One conversation over audio. Build with :meth:`start`; not thread-safe (one lane, one session)."""

    def __init__(
        self,
        text: TextSession,
        transcriber: Transcriber,
        synthesizer: Synthesizer,
        vad: Vad,
        *,
        endpoint: EndpointConfig | None = None,
        barge_in: BargeInConfig | None = None,
        out_rate: int = SAMPLE_RATE,
        vocabulary: Sequence[str] | None = None,
        min_confidence: float = MIN_CONFIDENCE,
        doubt_confidence: float = DOUBT_CONFIDENCE,
        on_audio: Callable[[AudioChunk], None] | None = None,
        rules: RuleMatcher | None = None,
    ) -> None:
        """Wire the stages together (prefer :meth:`start`).

        Args:
            text: the text session that owns understanding, the order and replies.
            transcriber: speech recogniser for whole utterances at 16 kHz.
            synthesizer: reply voice; its chunks are resampled to ``out_rate`` when needed.
            vad: one VAD shared by the turn and barge-in detectors (one probability per window).
            endpoint: when an utterance counts as a turn and when it has ended.
            barge_in: barge-in timing while a reply plays.
            out_rate: sample rate of reply audio (16000 drive-thru, 8000 phone).
            vocabulary: ASR biasing phrases; by default :func:`menu_vocabulary` of the menu.
            min_confidence: transcripts less sure than this get "Sorry, I didn't catch that".
            doubt_confidence: transcripts less sure than this get it too when tier 1 finds unknown words.
            on_audio: called with each reply chunk as soon as it is synthesized (the transport's sink).
            rules: tier 1 for choosing among n-best hypotheses; by default the understander's own (or a new one).
        """
        if out_rate <= 0:
            raise ValueError(f"out_rate must be positive, got {out_rate}")
        self.text = text
        self.menu = text.menu
        self.transcriber = transcriber
        self.synthesizer = synthesizer
        self.vad = vad
        self.endpoint = endpoint or EndpointConfig()
        self.out_rate = out_rate
        self.vocabulary = tuple(vocabulary) if vocabulary is not None else menu_vocabulary(self.menu)
        self.min_confidence = min_confidence
        self.doubt_confidence = doubt_confidence
        self.on_audio = on_audio
        self.rules = rules or _tier1(text.understander, self.menu)
        self.turns = TurnDetector(vad, self.endpoint)
        self.barge_in = BargeInDetector(vad, barge_in)
        self._windower = Windower(vad.window_samples)
        self._backchannels: set[int] = set()
        self._pending: Prepared | None = None
        self.history: list[VoiceTurn] = []

    @classmethod
    def start(
        cls,
        menu: Menu,
        understander: Understander,
        transcriber: Transcriber,
        synthesizer: Synthesizer,
        vad: Vad,
        endpoint: EndpointConfig | None = None,
        out_rate: int = SAMPLE_RATE,
        *,
        daypart: str | None = None,
        barge_in: BargeInConfig | None = None,
        vocabulary: Sequence[str] | None = None,
        min_confidence: float = MIN_CONFIDENCE,
        doubt_confidence: float = DOUBT_CONFIDENCE,
        on_audio: Callable[[AudioChunk], None] | None = None,
        rules: RuleMatcher | None = None,
    ) -> VoiceSession:
        """A new conversation on ``menu`` (a fresh order; the VAD is reset)."""
        return cls(
            TextSession.start(menu, understander, daypart),
            transcriber,
            synthesizer,
            vad,
            endpoint=endpoint,
            barge_in=barge_in,
            out_rate=out_rate,
            vocabulary=vocabulary,
            min_confidence=min_confidence,
            doubt_confidence=doubt_confidence,
            on_audio=on_audio,
            rules=rules,
        )

    # -- state ------------------------------------------------------------------------------------

    @property
    def order(self) -> Order:
        return self.text.order

    @property
    def playing(self) -> bool:
        """Whether a reply (or the greeting) is playing in stream time."""
        return self.barge_in.playing

    @property
    def position_ms(self) -> int:
        """Stream time analysed so far."""
        return self.turns.position_ms

    def hotwords(self) -> tuple[str, ...]:
        """ASR biasing for the next turn: the pending question's choices, then the menu vocabulary."""
        return (*expected_answers(self.order, self.menu), *self.vocabulary)

    # -- audio out --------------------------------------------------------------------------------

    def greeting_audio(self) -> tuple[AudioChunk, ...]:
        """The menu's greeting at ``out_rate``; it starts playing now (barge-in can interrupt it)."""
        chunks = tuple(self._speak(self.text.greeting()))
        self._start_playback(chunks)
        return chunks

    def _speak(self, reply: str) -> Iterable[AudioChunk]:
        for chunk in self.render(reply):
            if self.on_audio is not None:
                self.on_audio(chunk)
            yield chunk

    def render(self, reply: str) -> Iterator[AudioChunk]:
        """Reply chunks at ``out_rate``, synthesized one sentence at a time (not sent anywhere)."""
        for chunk in self.synthesizer.synthesize(reply):
            if chunk.rate != self.out_rate:
                pcm = resample(np.asarray(chunk.pcm, dtype=np.float32), chunk.rate, self.out_rate)
                chunk = AudioChunk(pcm, self.out_rate, chunk.text, chunk.index, chunk.final)
            yield chunk

    def _start_playback(self, chunks: Sequence[AudioChunk]) -> None:
        total = round(sum(c.duration_s for c in chunks) * 1000)
        if total > 0:
            self.barge_in.start_playback(total)

    # -- audio in ---------------------------------------------------------------------------------

    def feed(self, chunk: Float32Array) -> list[VoiceEvent]:
        """Consume 16 kHz mono float32 audio of any length; return the events it completes, in order.

        When the customer pauses (``EndpointConfig.pause_ms``) the turn is prepared at once: transcript,
        understanding, the order and reply it would give and the first reply sentence's audio, all without
        changing the session. If the words sound like a whole turn the detector is told to end it sooner.
        When the turn ends with no speech since, the prepared turn is committed; otherwise it is thrown
        away and the turn is run from its audio.

        The call whose audio closes an utterance commits the turn: each reply chunk goes to ``on_audio``
        (the first one at once if it was prepared), and the ``VoiceTurn`` holding all of them is returned.
        The reply then "plays" for its duration; customer speech over it gives ``BargeIn`` then
        ``BargeInConfirmed`` (playback stopped) or ``Backchannel`` (playback resumes; the short utterance
        is dropped as ``TurnDropped``).
        """
        events: list[VoiceEvent] = []
        for window in self._windower.feed(chunk):
            prob = self.vad.prob(window)
            for barge in self.barge_in.push(window, prob):
                if isinstance(barge, Backchannel):
                    self._backchannels.add(barge.onset_ms)
                events.append(barge)
            for event in self.turns.push(window, prob):
                events.extend(self._on_turn_event(event))
        return events

    def flush(self) -> list[VoiceEvent]:
        """End of the stream: an utterance still in progress becomes a turn."""
        return [e for event in self.turns.flush() for e in self._on_turn_event(event)]

    def _on_turn_event(self, event: TurnEvent) -> list[VoiceEvent]:
        if isinstance(event, SpeechStarted):
            self._pending = None
            return [TurnStarted(event.t_ms)]
        if isinstance(event, SpeechPaused):
            self._on_pause(event)
            return []
        pending, self._pending = self._pending, None
        backchannel = event.start_ms in self._backchannels
        self._backchannels = {t for t in self._backchannels if t > event.end_ms}
        if backchannel:
            return [TurnDropped(event.start_ms, event.end_ms, "backchannel")]
        if self.barge_in.playing:  # the customer spoke over the reply and kept going: it is cut off
            self.barge_in.stop_playback()
        endpoint_ms = float(event.detected_ms - event.end_ms)
        if pending is not None and pending.end_ms == event.end_ms and pending.base is self.order:
            turn = self._commit(pending, endpoint_ms, event)
        else:
            turn = self.respond(event.audio, endpoint_ms=endpoint_ms, heard=event)
        self._start_playback(turn.audio)
        return [turn]

    def _on_pause(self, event: SpeechPaused) -> None:
        """Prepare the turn during the pause (not while a reply plays: that may be a backchannel)."""
        if self.barge_in.playing:
            return
        prepared = self.prepare(event.audio)
        prepared.end_ms = event.end_ms
        prepared.lead_ms = float(event.detected_ms - event.end_ms)
        self._pending = prepared
        if prepared.intelligible and sounds_complete(prepared.turn.understanding):
            self.turns.hint_complete()

    def respond(
        self,
        audio: Float32Array,
        *,
        endpoint_ms: float | None = None,
        speak: bool = True,
        heard: TurnEnded | None = None,
    ) -> VoiceTurn:
        """Run one whole utterance (16 kHz mono float32) through ASR, the text dialog and TTS.

        Args:
            audio: the customer's utterance.
            endpoint_ms: silence waited after the end of speech; by default the silence the turn detector
                would wait for an utterance this long (``EndpointConfig.required_silence_ms``).
            speak: synthesize the reply (False leaves ``audio`` empty and ``tts_first`` at 0).
            heard: the ``TurnEnded`` this audio came from, when streaming.
        """
        samples = np.asarray(audio, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono audio (1-D), got shape {samples.shape}")
        if endpoint_ms is None:
            endpoint_ms = float(self.endpoint.required_silence_ms(samples.size * 1000 // SAMPLE_RATE))
        return self._commit(self.prepare(samples, speak=speak), endpoint_ms, heard)

    def prepare(self, audio: Float32Array, *, speak: bool = True) -> Prepared:
        """Everything a turn needs up to its first reply audio, without changing the session.

        Blocking (ASR, understanding, the first TTS chunk): the live runner calls it in a worker thread.
        """
        started = time.perf_counter()
        base = self.order
        transcript = self.transcriber.transcribe(audio, hotwords=self.hotwords())
        asr_ms = _ms_since(started)
        t_rescore = time.perf_counter()
        heard_as, rank = self._choose(transcript)
        rescore_ms = _ms_since(t_rescore)
        turn, intelligible = self._plan(heard_as)
        rest: Iterator[AudioChunk] = iter(())
        first: AudioChunk | None = None
        tts_first = 0.0
        if speak:
            t_tts = time.perf_counter()
            rest = self.render(turn.reply)
            first = next(rest, None)
            tts_first = _ms_since(t_tts)
        timings = {"asr": asr_ms, "rescore": rescore_ms, **turn.timings_ms, "tts_first": tts_first}
        return Prepared(transcript, rank, turn, intelligible, base, first, rest, timings, _ms_since(started))

    def _commit(self, prepared: Prepared, endpoint_ms: float, heard: TurnEnded | None) -> VoiceTurn:
        """Make a prepared turn happen: the order changes, the reply goes out, timings are recorded.

        ``first_audio`` is end of speech to the first reply audio: the sum of the stages, or for a turn
        prepared during the pause ``max(endpoint, lead + preparation)``, where ``lead`` is the silence
        before preparing started. Audio keeps arriving while a turn is prepared (the transport buffers it),
        so the preparation overlaps the endpoint silence.
        """
        self.text.commit(prepared.turn)
        started = time.perf_counter()
        chunks: list[AudioChunk] = []
        if prepared.first is not None:
            # chain, not a tuple: each later sentence is synthesized after the one before has gone out
            for chunk in itertools.chain((prepared.first,), prepared.rest):
                if self.on_audio is not None:
                    self.on_audio(chunk)
                chunks.append(chunk)
        timings = {"endpoint": endpoint_ms, **prepared.timings}
        staged = sum(timings[s] for s in STAGES)
        if prepared.lead_ms is None:
            timings["first_audio"] = staged
        else:
            timings["first_audio"] = max(endpoint_ms, prepared.lead_ms + prepared.work_ms)
            timings["lead"] = prepared.lead_ms
        timings["prepared"] = float(prepared.lead_ms is not None)
        timings["tts_total"] = prepared.timings["tts_first"] + _ms_since(started)
        voice_turn = VoiceTurn(
            prepared.transcript,
            prepared.turn,
            tuple(chunks),
            timings,
            heard,
            prepared.intelligible,
            prepared.rank,
        )
        self.history.append(voice_turn)
        return voice_turn

    def _choose(self, transcript: Transcript) -> tuple[Transcript, int]:
        """The n-best hypothesis tier 1 explains best, as a transcript (confidence scaled by its
        probability relative to the top one), and its rank. If none is explained and a question is
        pending, a short hypothesis that sounds like one of its choices becomes that choice."""
        alternatives = transcript.alternatives or (Alternative(transcript.text, 0.0),)
        chosen = choose_hypothesis(alternatives, self.rules, self.order)
        if chosen is not None and chosen.unexplained > 0:
            snapped = snap_to_answer(alternatives, expected_answers(self.order, self.menu))
            if snapped is not None:
                rank, answer = snapped
                return replace(transcript, text=answer), rank
        if chosen is None or chosen.rank == 0:
            return transcript, 0
        top = transcript.alternatives[0]
        ratio = math.exp(min(0.0, chosen.alternative.avg_logprob - top.avg_logprob))
        return replace(
            transcript, text=chosen.alternative.text, confidence=transcript.confidence * ratio
        ), chosen.rank

    def _plan(self, transcript: Transcript) -> tuple[Turn, bool]:
        """``TextSession.plan`` with a gate between understanding and the order: a transcript that is empty,
        very unsure, or unsure with words tier 1 cannot place gets a clarifying turn instead."""
        text = transcript.text
        if not any(c.isalnum() for c in text) or transcript.confidence < self.min_confidence:
            return self._not_heard(text, 0.0), False
        t0 = time.perf_counter()
        understanding = run_blocking(self.text.understander.understand_async(text, self.text.order))
        nlu_ms = _ms_since(t0)
        if transcript.confidence < self.doubt_confidence and not understanding.coverage.complete:
            return self._not_heard(text, nlu_ms), False
        return self.text.outcome(text, understanding, nlu_ms), True

    def _not_heard(self, text: str, nlu_ms: float) -> Turn:
        """A clarifying turn that leaves the order exactly as it was (not even a failed-turn count)."""
        started = time.perf_counter()
        order = self.text.order
        missing = first_missing(order, self.menu) if order.state is DialogState.CLARIFYING else None
        again = question(missing, order, self.menu) if missing is not None else "Could you say it again?"
        reply = f"{DIDNT_CATCH} {again}"
        understanding = Understanding(text=text, commands=(), coverage=Coverage(confidence=0.0))
        timings = {"nlu": nlu_ms, "order": 0.0, "reply": _ms_since(started)}
        return Turn(text, understanding, (), reply, order, timings)


@dataclass(slots=True, eq=False)
class Prepared:
    """A turn computed but not yet committed (see :meth:`VoiceSession.prepare`); ``rest`` synthesizes the
    remaining sentences lazily, one per ``next``."""

    transcript: Transcript
    rank: int
    turn: Turn
    intelligible: bool
    base: Order
    first: AudioChunk | None
    rest: Iterator[AudioChunk]
    timings: dict[str, float]
    work_ms: float
    """Wall time from the start of ASR to the first reply chunk."""
    end_ms: int = -1
    """For a turn prepared at a pause: end of the utterance's last speech (stream ms)."""
    lead_ms: float | None = None
    """For a turn prepared at a pause: silence (ms) before preparing started."""


def _tier1(understander: Understander, menu: Menu) -> RuleMatcher:
    """The understander's tier-1 matcher when it is one or has one (hybrid), else a new one."""
    if isinstance(understander, RuleMatcher):
        return understander
    rules = getattr(understander, "rules", None)
    return rules if isinstance(rules, RuleMatcher) else RuleMatcher(menu)


@dataclass(slots=True)
class StreamResult:
    """What streaming one utterance produced (see :func:`stream_utterance`)."""

    events: list[VoiceEvent] = field(default_factory=list)

    @property
    def turns(self) -> list[VoiceTurn]:
        return [e for e in self.events if isinstance(e, VoiceTurn)]


def stream_utterance(
    session: VoiceSession,
    audio: Float32Array,
    *,
    chunk_ms: int = 20,
    lead_ms: int = 300,
    trail_ms: int = 1500,
    wait_for_reply: bool = True,
    max_wait_ms: int = 30000,
) -> StreamResult:
    """Feed ``lead_ms`` of silence, ``audio`` and ``trail_ms`` of silence in ``chunk_ms`` chunks.

    With ``wait_for_reply`` the customer first listens (silence is fed) until a reply still playing has
    finished, at most ``max_wait_ms``. The stream is flushed at the end, so an utterance still open
    (trailing silence too short) is not lost.
    """
    size = SAMPLE_RATE * chunk_ms // 1000
    if size <= 0:
        raise ValueError("chunk_ms too small")
    result = StreamResult()
    quiet = np.zeros(size, dtype=np.float32)
    waited = 0
    while wait_for_reply and session.playing and waited < max_wait_ms:
        result.events.extend(session.feed(quiet))
        waited += chunk_ms
    lead = np.zeros(SAMPLE_RATE * lead_ms // 1000, dtype=np.float32)
    trail = np.zeros(SAMPLE_RATE * trail_ms // 1000, dtype=np.float32)
    stream = np.concatenate([lead, np.asarray(audio, dtype=np.float32), trail])
    for start in range(0, stream.size, size):
        result.events.extend(session.feed(stream[start : start + size]))
    result.events.extend(session.flush())
    return result
