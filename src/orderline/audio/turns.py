"""Streaming turn detection (endpointing) and barge-in detection.

Both detectors work on VAD windows of 16 kHz mono float32 and keep time by counting samples, never by
the wall clock, so the same audio always gives the same events at the same stream times. ``feed`` takes
chunks of any size and runs the detector's own VAD; ``push`` takes one window with a probability computed
elsewhere, so one VAD (whose state must see each window once) can serve both detectors::

    for window in windower.feed(chunk):
        p = vad.prob(window)
        events = [*turns.push(window, p), *barge_in.push(window, p)]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from orderline.audio.codecs import AudioFormatError, Float32Array, as_float32
from orderline.audio.vad import SAMPLE_RATE, SpeechGate, Vad, Windower


def _ms(samples: int) -> int:
    return samples * 1000 // SAMPLE_RATE


def _samples(ms: int) -> int:
    return ms * SAMPLE_RATE // 1000


@dataclass(frozen=True)
class EndpointConfig:
    """When an utterance counts as a turn and when it has ended.

    The silence that ends a turn grows with the utterance: ``min_silence_ms`` up to
    ``short_utterance_ms`` of speech ("yeah", "that's it" end quickly), then linearly up to
    ``max_silence_ms`` at ``long_utterance_ms`` and beyond, where a customer pauses mid-order
    ("a number three ... with no pickles"). Utterance length is onset to the end of the latest speech.

    ``min_speech_ms`` counts speech windows (32 ms each): a burst of 80-100 ms can touch 4 windows
    (128 ms), so the default of 140 ms needs 5 windows and drops coughs and clicks.

    ``pause_ms``: after this much silence (and at least ``post_roll_ms``, so the audio is what the turn
    would hold) a ``SpeechPaused`` event lets the caller prepare the turn while it waits; None turns it
    off. If the caller then finds the words complete (:meth:`TurnDetector.hint_complete`), the turn ends
    after ``complete_silence_ms`` (never less than ``min_silence_ms``) when that is shorter than the
    length-based silence.
    """

    threshold: float = 0.5
    neg_threshold: float = 0.35
    min_speech_ms: int = 140
    min_silence_ms: int = 300
    max_silence_ms: int = 900
    short_utterance_ms: int = 1200
    long_utterance_ms: int = 2400
    max_turn_ms: int = 15000
    pre_roll_ms: int = 200
    post_roll_ms: int = 100
    pause_ms: int | None = 100
    complete_silence_ms: int = 350

    def __post_init__(self) -> None:
        if not 0.0 < self.neg_threshold <= self.threshold < 1.0:
            raise ValueError("need 0 < neg_threshold <= threshold < 1")
        if not 0 < self.min_silence_ms <= self.max_silence_ms:
            raise ValueError("need 0 < min_silence_ms <= max_silence_ms")
        if not 0 <= self.short_utterance_ms < self.long_utterance_ms:
            raise ValueError("need 0 <= short_utterance_ms < long_utterance_ms")
        if min(self.min_speech_ms, self.pre_roll_ms, self.post_roll_ms) < 0 or self.max_turn_ms <= 0:
            raise ValueError("durations must be >= 0 and max_turn_ms > 0")
        if self.pause_ms is not None and not 0 < self.pause_ms < self.complete_silence_ms:
            raise ValueError("need 0 < pause_ms < complete_silence_ms")
        if self.complete_silence_ms <= 0:
            raise ValueError("complete_silence_ms must be > 0")

    def required_silence_ms(self, utterance_ms: int) -> int:
        """Silence that ends an utterance which has lasted ``utterance_ms`` so far."""
        span = self.long_utterance_ms - self.short_utterance_ms
        frac = min(1.0, max(0.0, (utterance_ms - self.short_utterance_ms) / span))
        return round(self.min_silence_ms + frac * (self.max_silence_ms - self.min_silence_ms))


@dataclass(frozen=True)
class SpeechStarted:
    """An utterance reached ``min_speech_ms``; ``t_ms`` is its onset (stream time)."""

    t_ms: int


@dataclass(frozen=True, eq=False)
class SpeechPaused:
    """The customer paused: the turn may end soon. Sent once per pause, after ``pause_ms`` of silence.

    ``audio`` (from ``audio_start_ms``) is what ``TurnEnded`` will hold if speech does not resume, and
    ``end_ms`` the end of the last speech window, so a turn prepared from it can be matched to the turn.
    """

    audio: Float32Array
    start_ms: int
    end_ms: int
    detected_ms: int
    audio_start_ms: int


EndReason = Literal["silence", "max_turn", "flush"]


@dataclass(frozen=True, eq=False)
class TurnEnded:
    """A complete utterance.

    Attributes:
        audio: 16 kHz float32 from ``audio_start_ms`` (onset minus pre-roll) to ``end_ms`` plus post-roll.
        start_ms: speech onset. end_ms: end of the last speech window.
        reason: ``silence`` (endpoint), ``max_turn`` (hard cap) or ``flush`` (end of stream).
        detected_ms: stream time when the end was decided (``detected_ms - end_ms`` is endpoint latency).
        audio_start_ms: stream time of ``audio[0]``.
    """

    audio: Float32Array
    start_ms: int
    end_ms: int
    reason: EndReason
    detected_ms: int
    audio_start_ms: int


TurnEvent = SpeechStarted | SpeechPaused | TurnEnded


@dataclass
class _Utterance:
    buf_start: int
    onset: int
    windows: list[Float32Array]
    speech: int = 0
    last_speech_end: int = 0
    confirmed: bool = False
    paused: bool = False
    complete: bool = False


class TurnDetector:
    """Streaming endpointer: splits the customer's audio into turns."""

    def __init__(self, vad: Vad, config: EndpointConfig | None = None) -> None:
        """Create a detector that owns ``vad`` (``reset`` resets it too)."""
        self.vad = vad
        self.config = config or EndpointConfig()
        self._w = vad.window_samples
        self._windower = Windower(self._w)
        self._gate = SpeechGate(self.config.threshold, self.config.neg_threshold)
        self._pre_roll = _samples(self.config.pre_roll_ms)
        self._history: deque[Float32Array] = deque(maxlen=math.ceil(self._pre_roll / self._w))
        self.reset()

    def reset(self) -> None:
        """Start a new stream at time 0."""
        self.vad.reset()
        self._windower.reset()
        self._gate.open = False
        self._history.clear()
        self._pos = 0
        self._utt: _Utterance | None = None

    @property
    def position_ms(self) -> int:
        """Stream time analysed so far (whole windows)."""
        return _ms(self._pos)

    @property
    def in_turn(self) -> bool:
        """Whether a confirmed utterance is in progress (``SpeechStarted`` sent, no ``TurnEnded`` yet)."""
        return self._utt is not None and self._utt.confirmed

    def feed(self, chunk: Float32Array) -> list[TurnEvent]:
        """Consume a chunk of any size; return the events it completes, in order."""
        events: list[TurnEvent] = []
        for window in self._windower.feed(chunk):
            events.extend(self.push(window, self.vad.prob(window)))
        return events

    def push(self, window: Float32Array, prob: float) -> list[TurnEvent]:
        """Consume one window whose speech probability was computed by the caller."""
        window = as_float32(window, "window")
        if len(window) != self._w:
            raise AudioFormatError(f"window must have {self._w} samples, got {len(window)}")
        start, self._pos = self._pos, self._pos + self._w
        speech = self._gate.update(prob)
        utt = self._utt
        if utt is None:
            if not speech:
                self._history.append(window)
                return []
            utt = _Utterance(start - self._w * len(self._history), start, [*self._history, window])
            self._utt = utt
        else:
            utt.windows.append(window)
        if speech:
            utt.speech += self._w
            utt.last_speech_end = self._pos
            utt.paused = utt.complete = False
        silence = self._pos - utt.last_speech_end
        cfg = self.config
        if not utt.confirmed:
            if utt.speech >= _samples(cfg.min_speech_ms):
                utt.confirmed = True
                return [SpeechStarted(_ms(utt.onset))]
            if silence >= _samples(cfg.min_silence_ms):
                self._close()  # a blip: a cough, a click, a door
            return []
        required = cfg.required_silence_ms(_ms(utt.last_speech_end - utt.onset))
        if utt.complete:
            required = min(required, max(cfg.complete_silence_ms, cfg.min_silence_ms))
        if silence >= _samples(required):
            return [self._end(utt, "silence")]
        if self._pos - utt.onset >= _samples(cfg.max_turn_ms):
            return [self._end(utt, "max_turn")]
        pause = cfg.pause_ms
        if pause is not None and not utt.paused and silence >= _samples(max(pause, cfg.post_roll_ms)):
            utt.paused = True
            a, audio = self._audio(utt)
            return [SpeechPaused(audio, _ms(utt.onset), _ms(utt.last_speech_end), _ms(self._pos), _ms(a))]
        return []

    def hint_complete(self) -> None:
        """The words so far sound like a whole turn: end it after ``complete_silence_ms`` of silence
        (if shorter than the usual). Forgotten as soon as the customer speaks again."""
        if self._utt is not None and self._utt.confirmed:
            self._utt.complete = True

    def flush(self) -> list[TurnEvent]:
        """End of stream: close a confirmed utterance (reason ``flush``); a pending blip is dropped.

        Samples short of a whole window are not analysed.
        """
        utt = self._utt
        if utt is None:
            return []
        if not utt.confirmed:
            self._close()
            return []
        return [self._end(utt, "flush")]

    def _audio(self, utt: _Utterance) -> tuple[int, Float32Array]:
        """(start sample, audio): onset minus pre-roll to the last speech plus post-roll."""
        a = max(utt.onset - self._pre_roll, utt.buf_start)
        b = min(utt.last_speech_end + _samples(self.config.post_roll_ms), self._pos)
        return a, np.concatenate(utt.windows)[a - utt.buf_start : b - utt.buf_start]

    def _end(self, utt: _Utterance, reason: EndReason) -> TurnEnded:
        a, audio = self._audio(utt)
        self._close()
        return TurnEnded(audio, _ms(utt.onset), _ms(utt.last_speech_end), reason, _ms(self._pos), _ms(a))

    def _close(self) -> None:
        if self._utt is not None and self._history.maxlen:
            self._history.extend(self._utt.windows[-self._history.maxlen :])
        self._utt = None


@dataclass(frozen=True)
class BargeInConfig:
    """Barge-in timing.

    Speech sustained for ``barge_in_ms`` while the engine speaks fires ``BargeIn`` (well within 200 ms
    of onset): pause or duck playback now. A backchannel ("mhm", "ok") lasts ~200-350 ms, longer than
    that, so the decision is made in two steps: if the burst goes on past ``backchannel_max_ms`` of
    speech it is ``BargeInConfirmed`` (stop playback, the customer has the floor); if it ends first
    (``burst_end_silence_ms`` of silence) it was a ``Backchannel`` and playback resumes.
    """

    threshold: float = 0.5
    neg_threshold: float = 0.35
    barge_in_ms: int = 160
    backchannel_max_ms: int = 350
    burst_end_silence_ms: int = 200

    def __post_init__(self) -> None:
        if not 0 < self.barge_in_ms <= self.backchannel_max_ms or self.burst_end_silence_ms <= 0:
            raise ValueError("need 0 < barge_in_ms <= backchannel_max_ms and burst_end_silence_ms > 0")


@dataclass(frozen=True)
class BargeIn:
    """Customer speech over playback (provisional): pause or duck playback."""

    at_ms: int
    onset_ms: int
    played_ms: int
    played_fraction: float


@dataclass(frozen=True)
class BargeInConfirmed:
    """The barge-in is a real interruption: stop playback, the customer's turn follows."""

    at_ms: int
    onset_ms: int
    played_ms: int


@dataclass(frozen=True)
class Backchannel:
    """The burst was short ("mhm", "ok", a cough): resume playback from ``played_ms``.

    The turn detector may still report it as a short ``TurnEnded`` with ``start_ms == onset_ms`` (when
    both see the same probabilities); the dialog layer should drop that turn.
    """

    at_ms: int
    onset_ms: int
    speech_ms: int
    played_ms: int


BargeInEvent = BargeIn | BargeInConfirmed | Backchannel


@dataclass
class _Burst:
    onset: int
    speech: int = 0
    run: int = 0
    last_end: int = 0
    fired: bool = False
    confirmed: bool = False


@dataclass
class _Playback:
    total_ms: int
    clock: Callable[[], int] | None
    anchor_pos: int
    anchor_ms: int = 0
    frozen: bool = False


class BargeInDetector:
    """Detects the customer talking over the engine's speech.

    Playback position comes from, in order of preference: ``clock`` (a callable giving played ms), else
    the last ``played(ms)`` report plus the audio received since. Without a clock the detector assumes the
    engine pauses playback on ``BargeIn`` and resumes it on ``Backchannel``, so its estimate stops and
    restarts at those events.
    """

    def __init__(self, vad: Vad, config: BargeInConfig | None = None) -> None:
        """Create a detector that owns ``vad`` (``reset`` resets it too)."""
        self.vad = vad
        self.config = config or BargeInConfig()
        self._w = vad.window_samples
        self._windower = Windower(self._w)
        self._gate = SpeechGate(self.config.threshold, self.config.neg_threshold)
        self.reset()

    def reset(self) -> None:
        """Start a new stream at time 0, with nothing playing."""
        self.vad.reset()
        self._windower.reset()
        self._gate.open = False
        self._pos = 0
        self._burst: _Burst | None = None
        self._playback: _Playback | None = None

    def start_playback(self, total_ms: int, clock: Callable[[], int] | None = None) -> None:
        """The engine starts speaking now (at the current stream position) for ``total_ms``."""
        self._playback = _Playback(max(0, total_ms), clock, self._received())
        if self._burst is not None:  # the customer is already talking: judge the burst afresh
            self._burst.fired = self._burst.confirmed = False

    def extend_playback(self, total_ms: int) -> None:
        """More reply audio was queued behind what is playing (sentences synthesized one by one)."""
        if self._playback is not None:
            self._playback.total_ms = max(self._playback.total_ms, total_ms)

    def played(self, ms: int) -> None:
        """Report the true playback position (e.g. from the audio sink)."""
        if self._playback is not None:
            self._playback.anchor_ms, self._playback.anchor_pos = ms, self._received()

    def stop_playback(self) -> None:
        """The engine stopped speaking; no more barge-in events until the next ``start_playback``."""
        self._playback = None

    @property
    def position_ms(self) -> int:
        """Stream time analysed so far (whole windows)."""
        return _ms(self._pos)

    def _received(self) -> int:
        # Playback reports refer to the audio received so far, including a partial window.
        return self._pos + self._windower.pending_samples

    @property
    def playing(self) -> bool:
        """Whether the engine is speaking (or paused by an unresolved ``BargeIn``)."""
        return self._playback is not None

    @property
    def played_ms(self) -> int:
        """Estimated playback position in ms (0 when nothing plays)."""
        pb = self._playback
        if pb is None:
            return 0
        if pb.clock is not None:
            ms = pb.clock()
        elif pb.frozen:
            ms = pb.anchor_ms
        else:
            ms = pb.anchor_ms + _ms(self._pos - pb.anchor_pos)
        return min(max(ms, 0), pb.total_ms)

    def feed(self, chunk: Float32Array) -> list[BargeInEvent]:
        """Consume a chunk of any size; return the events it completes, in order."""
        events: list[BargeInEvent] = []
        for window in self._windower.feed(chunk):
            events.extend(self.push(window, self.vad.prob(window)))
        return events

    def push(self, window: Float32Array, prob: float) -> list[BargeInEvent]:
        """Consume one window whose speech probability was computed by the caller."""
        if len(window) != self._w:
            raise AudioFormatError(f"window must have {self._w} samples, got {len(window)}")
        start, self._pos = self._pos, self._pos + self._w
        speech = self._gate.update(prob)
        burst = self._burst
        if speech:
            burst = self._burst = burst or _Burst(start)
            burst.speech += self._w
            burst.run += self._w
            burst.last_end = self._pos
        elif burst is not None:
            burst.run = 0
        events: list[BargeInEvent] = []
        if burst is not None:
            events.extend(self._judge(burst, speech))
        pb = self._playback
        if pb is not None and not pb.frozen and self.played_ms >= pb.total_ms:
            self._playback = None  # finished playing
        return events

    def _judge(self, burst: _Burst, speech: bool) -> list[BargeInEvent]:
        cfg, pb, now = self.config, self._playback, _ms(self._pos)
        if not speech and self._pos - burst.last_end >= _samples(cfg.burst_end_silence_ms):
            self._burst = None
            if pb is None or not burst.fired or burst.confirmed:
                return []
            pb.frozen, pb.anchor_pos = False, self._pos
            return [Backchannel(now, _ms(burst.onset), _ms(burst.speech), self.played_ms)]
        if pb is None:
            return []
        events: list[BargeInEvent] = []
        if not burst.fired and burst.run >= _samples(cfg.barge_in_ms):
            burst.fired = True
            played = self.played_ms
            pb.anchor_ms, pb.anchor_pos, pb.frozen = played, self._pos, True
            fraction = played / pb.total_ms if pb.total_ms else 1.0
            events.append(BargeIn(now, _ms(burst.onset), played, fraction))
        if burst.fired and not burst.confirmed and burst.speech > _samples(cfg.backchannel_max_ms):
            burst.confirmed = True
            events.append(BargeInConfirmed(now, _ms(burst.onset), self.played_ms))
            self._playback = None
        return events
