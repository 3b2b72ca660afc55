"""The live voice runner: one per stream (a drive-thru lane, a phone call) on the shared engine.

Per stream it keeps only cheap state: VAD recurrent state over the engine's one Silero session, the turn and
barge-in detectors, the conversation record. Everything heavy (ASR, understanding with the SLM, TTS) runs in
the engine's bounded worker pool, so the event loop keeps reading audio from every stream while models work.

- At the customer's pause the turn is *prepared* as a task (transcript, understanding, the order and reply it
  would give, the first reply sentence's audio); speech that resumes cancels it. When the turn ends it is
  committed through :class:`~orderline.engine.conversations.Conversations` (record saved, order submitted
  exactly once), or run afresh if the preparation no longer fits.
- Reply audio leaves one sentence at a time, the first the moment it exists; a producer task synthesizes the
  next sentence while the current one plays. Output is paced in real time (``lead_ms`` ahead at most), with a
  mark after each sentence.
- The playback position is the pacing clock, corrected by the transport (Twilio echoes each mark when the
  caller has heard it). A confirmed barge-in stops the reply, tells the far end to drop queued audio, and
  keeps in the turn log only the sentences the customer heard.
- Crew takeover: the runner stops speaking and stops acting on turns until handed back.

The runner never sees a socket: the transport gives it an :class:`AudioOut` and feeds it PCM.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import structlog
from numpy.typing import NDArray

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.turns import (
    Backchannel,
    BargeIn,
    BargeInConfirmed,
    BargeInEvent,
    SpeechPaused,
    SpeechStarted,
    TurnEnded,
    TurnEvent,
)
from orderline.audio.vad import Windower
from orderline.core.commands import Handoff
from orderline.dialog.hearing import sounds_complete, sounds_unfinished
from orderline.dialog.record import ConversationRecord, VoiceTimings
from orderline.dialog.session import TextSession
from orderline.dialog.voice import Prepared, VoiceSession
from orderline.engine.conversations import Conversations, SessionHeldError, TurnContext
from orderline.engine.engine import Engine
from orderline.order.state import Order
from orderline.order.ticket import ticket
from orderline.storage.base import StaleRecordError, StorageError, TurnStat
from orderline.tts.base import AudioChunk

Float32Array = NDArray[np.float32]
log = structlog.get_logger("orderline.transports.runner")

UNSAVED_REPLY = "Sorry, I missed that. Could you say it again?"


class AudioOut(Protocol):
    """What a transport offers the runner: paced audio out, marks, a way to drop queued audio, events."""

    out_rate: int

    async def audio(self, pcm: Float32Array) -> None:
        """Send one frame of reply audio (mono float32 at ``out_rate``) now."""
        ...

    async def mark(self, name: str) -> None:
        """A reply sentence has been sent in full (the far end may echo it when played)."""
        ...

    async def clear(self) -> None:
        """Drop whatever reply audio the far end has buffered (barge-in)."""
        ...

    async def event(self, kind: str, data: dict[str, Any]) -> None:
        """A JSON-able event for the client (transcript, order, speaking, barge-in, handoff, error)."""
        ...


@dataclass(frozen=True)
class RunnerConfig:
    frame_ms: int = 20
    """Reply audio frame length (Twilio expects 20 ms frames)."""
    lead_ms: int = 200
    """How far ahead of real time reply audio may be sent (jitter buffer at the far end)."""
    hold_ms: int = 900
    """A turn whose words stop mid-sentence ("a cheeseburger and"), or a short one that could not be made
    out ("uh", "um"), waits this much longer for the customer to go on once it is transcribed; if they do, both
    parts are one turn. The silence endpoint alone (300-400 ms for short utterances) cut 8 of 10 paused
    turns in ``bench wire``; holding on the top hypothesis only, 4-5 of 10."""
    max_joins: int = 3
    """A turn held this many times already is answered at its next end, unfinished or not."""
    unclear_hold_max_ms: int = 1500
    """Only an unclear utterance up to this long is held (a thinking noise, not a sentence misheard)."""


@dataclass
class _Held:
    """An ended turn not yet committed: whether the customer has gone on since it ended. Watched from the
    moment the turn ends, so speech that resumes while the turn is still being prepared counts too."""

    event: TurnEnded
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    joins: int = 0  # parts already joined into this turn ("uh ... a cheeseburger and ... a large fries")


@dataclass
class _Preparation:
    end_ms: int
    lead_ms: float
    order: Order  # the order it was prepared against; a turn committed since makes it stale
    task: asyncio.Task[tuple[Prepared, TurnContext, float]]


@dataclass
class _Sentence:
    name: str
    text: str
    start_ms: int  # offset in the reply's audio
    end_ms: int


@dataclass
class _Reply:
    turn: int
    sentences: list[_Sentence] = field(default_factory=list)
    sent_ms: int = 0
    started: float | None = None  # wall clock of the first frame
    heard_marks: set[str] = field(default_factory=set)
    stat: TurnStat | None = None  # kept with the first-audio time once the first frame is out

    def played_ms(self) -> int:
        if self.started is None:
            return 0
        return min(self.sent_ms, int((time.perf_counter() - self.started) * 1000))

    def heard(self, played_ms: int) -> tuple[str, ...]:
        return tuple(s.text for s in self.sentences if s.end_ms <= played_ms or s.name in self.heard_marks)


class VoiceRunner:
    """One live stream. Feed it audio with :meth:`feed`; it speaks through ``out``."""

    def __init__(
        self,
        engine: Engine,
        conversations: Conversations,
        record: ConversationRecord,
        out: AudioOut,
        config: RunnerConfig | None = None,
    ) -> None:
        self.engine = engine
        self.conversations = conversations
        self.record = record
        self.out = out
        self.config = config or RunnerConfig()
        sm = engine.store_menu(record.store)
        self.voice = VoiceSession(
            TextSession(menu=sm.menu, understander=sm.understander, order=record.order),
            engine.transcriber(),
            engine.synthesizer(),
            engine.new_vad(),
            out_rate=out.out_rate,
            rules=sm.rules,
            vocabulary=engine.vocabulary(record.store),
        )
        self._windower = Windower(self.voice.vad.window_samples)
        self._prep: _Preparation | None = None
        self._turn_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._speaking: asyncio.Task[None] | None = None
        self._reply: _Reply | None = None
        self._backchannels: set[int] = set()
        self._held: _Held | None = None
        self.taken_over = False
        self.closed = False

    # -- lifecycle --------------------------------------------------------------------------------

    async def greet(self) -> None:
        """Say the menu's greeting (barge-in can interrupt it)."""
        text = self.voice.text.greeting()
        chunks = self.voice.render(text)
        first = await self._next_chunk(chunks)
        await self.out.event("greeting", {"text": text})
        self._start_speaking(first, chunks, turn=0, speech_end=None)

    async def close(self) -> None:
        """End of stream: stop speaking, drop unfinished work."""
        self.closed = True
        await self._stop_speaking(barged=False)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def takeover(self, who: str) -> None:
        """Crew takes the conversation (from the lane socket): held in the record, so every worker and the
        dashboard know; the engine stops speaking and stops acting on the order."""
        self.record = await self.conversations.hold(self.record.session_id, self.record.store, who)
        await self.held(who)

    async def handback(self, who: str) -> None:
        """Crew hands the conversation back; the engine resumes from the stored record."""
        self.record = await self.conversations.hold(self.record.session_id, self.record.store, None)
        await self.released(who)

    async def held(self, who: str) -> None:
        """The conversation is held by the crew (said here, or on the control channel by the dashboard)."""
        if self.taken_over:
            return
        self.taken_over = True
        self._cancel_preparation()
        await self._stop_speaking(barged=False)
        await self.out.event("takeover", {"by": who})

    async def released(self, who: str) -> None:
        """Handed back: resume from the stored record (the crew may have changed the order)."""
        fresh = await self.conversations.storage.load_record(self.record.session_id)
        if fresh is not None:
            self.record = fresh
        if not self.taken_over:
            return
        self.taken_over = False
        await self.out.event("handback", {"by": who})

    async def handoff(self, reason: str, text: str) -> None:
        """Hand the conversation to the crew now (a keypad 0, a crew button): the order is kept as it is."""
        if self.taken_over:
            return  # the crew already has it
        async with self._turn_lock:
            self._cancel_preparation()
            await self._stop_speaking(barged=False)
            outcome = await self.conversations.apply(self.record, (Handoff(reason=reason),), text)
            self.record = outcome.record
            await self.out.event("handoff", {"turn": outcome.turn.n, "reason": reason})

    # -- audio in ---------------------------------------------------------------------------------

    async def feed(self, pcm: Float32Array) -> None:
        """16 kHz mono float32 audio from the customer, in arrival order (any chunk size)."""
        for window in self._windower.feed(pcm):
            prob = self.voice.vad.prob(window)
            for barge in self.voice.barge_in.push(window, prob):
                await self._on_barge(barge)
            for event in self.voice.turns.push(window, prob):
                await self._on_turn_event(event)

    def played(self, mark: str) -> None:
        """The far end says it has played up to the end of the sentence named ``mark``."""
        if self._reply is not None:
            self._reply.heard_marks.add(mark)

    async def _on_turn_event(self, event: TurnEvent) -> None:
        if isinstance(event, SpeechStarted):
            self._cancel_preparation()
            if self._held is not None:
                self._held.resumed.set()  # the customer goes on: the held words join this utterance
            await self.out.event("speech_started", {"t_ms": event.t_ms})
        elif isinstance(event, SpeechPaused):
            if not self.voice.barge_in.playing and not self.taken_over:
                self._start_preparation(event)
        else:
            await self._on_turn_ended(event)

    async def _on_barge(self, event: BargeInEvent) -> None:
        if isinstance(event, Backchannel):
            self._backchannels.add(event.onset_ms)
        elif isinstance(event, BargeIn):
            await self.out.event("barge_in", {"confirmed": False, "played_ms": event.played_ms})
        elif isinstance(event, BargeInConfirmed):
            await self._stop_speaking(barged=True)
            await self.out.event("barge_in", {"confirmed": True, "played_ms": event.played_ms})

    async def _on_turn_ended(self, event: TurnEnded) -> None:
        prep, self._prep = self._prep, None
        backchannel = event.start_ms in self._backchannels
        self._backchannels = {t for t in self._backchannels if t > event.end_ms}
        if backchannel or self.taken_over:
            if prep is not None:
                prep.task.cancel()
            return
        if self.voice.barge_in.playing:  # the customer talked over the reply and kept going
            await self._stop_speaking(barged=True)
        held, self._held = self._held, None
        joined = held is not None and held.resumed.is_set()
        if held is not None and joined:
            event = _joined(held.event, event)
            if prep is not None:
                prep.task.cancel()
            prep = None
        usable = prep if prep is not None and prep.end_ms == event.end_ms else None
        if prep is not None and usable is None:
            prep.task.cancel()
        watch = _Held(event, joins=held.joins + 1 if held is not None and joined else 0)
        self._held = watch  # until it commits, speech that resumes may join this turn
        may_hold = watch.joins < self.config.max_joins
        self._spawn(self._respond(event, usable, time.perf_counter(), watch, may_hold=may_hold))

    # -- turns ------------------------------------------------------------------------------------

    def _start_preparation(self, event: SpeechPaused) -> None:
        self._cancel_preparation()
        task = asyncio.create_task(self._prepare(event.audio))
        prep = _Preparation(event.end_ms, float(event.detected_ms - event.end_ms), self.record.order, task)
        self._prep = prep
        task.add_done_callback(lambda t: self._prepared(prep, t))

    def _prepared(self, prep: _Preparation, task: asyncio.Task[tuple[Prepared, TurnContext, float]]) -> None:
        if task.cancelled() or task.exception() is not None or self._prep is not prep:
            return
        prepared = task.result()[0]
        if prepared.intelligible and sounds_complete(prepared.turn.understanding):
            self.voice.turns.hint_complete()  # the words sound like a whole order: end the turn sooner

    def _cancel_preparation(self) -> None:
        if self._prep is not None:
            self._prep.task.cancel()
            self._prep = None

    async def _prepare(self, audio: Float32Array) -> tuple[Prepared, TurnContext, float]:
        started = time.perf_counter()
        ctx = await self.conversations.context(self.record)
        self.voice.text = ctx.session()
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(self.engine.pool, self.voice.prepare, audio)
        return prepared, ctx, (time.perf_counter() - started) * 1000

    async def _respond(
        self,
        event: TurnEnded,
        prep: _Preparation | None,
        detected: float,
        watch: _Held,
        *,
        may_hold: bool = True,
    ) -> None:
        joinable = False
        try:
            joinable = await self._respond_turn(event, prep, detected, watch, may_hold=may_hold)
        except StaleRecordError:
            raise
        except StorageError as exc:  # Redis is down: nothing changed; say so and ask again
            await self._unsaved(exc)
        finally:
            # Only a turn left waiting for the customer to go on may be joined to what comes next: words the
            # customer was asked to repeat must not be joined to the repetition (they would count twice).
            if not joinable and self._held is watch:
                self._held = None

    def _unsure(self, event: TurnEnded, prepared: Prepared) -> bool:
        """Words that stop mid-sentence, or a short utterance that could not be made out: worth waiting
        to see whether the customer goes on before answering.

        Any of Whisper's n-best counts: it tends to drop or twist a trailing "and"/"with" with nothing after
        it ("a small cappuccino and" -> "a small cappuccino in", the third hypothesis keeping the "and").
        Spoken by the bundled voice, 6 of 8 such phrase ends were caught this way, against the top
        hypothesis alone (3 of 8), and none of 8 whole orders was held.
        """
        if not prepared.intelligible:
            return event.end_ms - event.start_ms <= self.config.unclear_hold_max_ms
        heard = (prepared.turn.text, *(a.text for a in prepared.transcript.alternatives))
        return any(sounds_unfinished(text) for text in heard)

    async def _respond_turn(
        self, event: TurnEnded, prep: _Preparation | None, detected: float, watch: _Held, *, may_hold: bool
    ) -> bool:
        """Commit the turn; ``True`` when it was left for the customer's next words to join instead."""
        async with self._turn_lock:
            endpoint_ms = float(event.detected_ms - event.end_ms)
            result: tuple[Prepared, TurnContext, float] | None = None
            if prep is not None and prep.order == self.record.order:
                with contextlib.suppress(asyncio.CancelledError):
                    result = await prep.task
            was_prepared = result is not None
            if result is None:
                result = await self._prepare(event.audio)
            prepared, ctx, _work_ms = result
            if may_hold and self._unsure(event, prepared):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(watch.resumed.wait(), self.config.hold_ms / 1000)
                if watch.resumed.is_set():
                    return True  # the next TurnEnded carries both parts
                now = time.perf_counter()
                endpoint_ms += (now - detected) * 1000
                detected = now
            if self._held is watch:
                self._held = None  # committing: what the customer says next is a new turn
            timings = prepared.timings
            voice = VoiceTimings(
                endpoint_ms=endpoint_ms,
                asr_ms=round(timings["asr"], 2),
                rescore_ms=round(timings["rescore"], 2),
                tts_first_ms=round(timings["tts_first"], 2),
                prepared=was_prepared,
            )
            if self.taken_over:
                return False
            try:
                outcome = await self.conversations.commit(self.record, ctx, prepared.turn, voice=voice)
            except (StaleRecordError, SessionHeldError):
                # someone else wrote the record (the crew took over or edited the order): re-read it;
                # a held conversation is the crew's, otherwise the customer hears the turn run afresh
                fresh = await self.conversations.storage.load_record(self.record.session_id)
                if fresh is None:
                    return False
                self.record = fresh
                if fresh.held_by is not None:
                    await self.held(fresh.held_by)
                    return False
                prepared, ctx, _work_ms = await self._prepare(event.audio)
                outcome = await self.conversations.commit(self.record, ctx, prepared.turn, voice=voice)
            self.record = outcome.record
            n = outcome.turn.n
            await self.out.event(
                "transcript",
                {
                    "turn": n,
                    "text": prepared.turn.text,
                    "confidence": round(prepared.transcript.confidence, 3),
                },
            )
            order = ticket(self.record.order, ctx.menu)
            await self.out.event(
                "order",
                {"turn": n, "state": self.record.order.state.value, "order": order.model_dump(mode="json")},
            )
            await self.out.event("reply", {"turn": n, "text": outcome.turn.reply})
            speech_end = detected - endpoint_ms / 1000
            self._start_speaking(
                prepared.first, prepared.rest, turn=n, speech_end=speech_end, stat=outcome.stat
            )
            if self.record.order.state.value == "handed_off":
                await self.out.event(
                    "handoff",
                    {"turn": n, "reason": "the customer asked for a person or the engine could not help"},
                )
            if outcome.submitted is not None:
                await self.out.event(
                    "submitted", {"order_id": self.record.order.id, "entry_id": outcome.submitted.entry_id}
                )
            return False

    async def _unsaved(self, error: Exception) -> None:
        """A turn that could not be stored changes nothing; the customer hears that and is asked to repeat it,
        so no word is dropped silently (the order as stored stays the truth)."""
        log.error("turn_not_saved", session=self.record.session_id, error=repr(error))
        await self.out.event(
            "error",
            {
                "code": "storage_unavailable",
                "message": "the order could not be read or saved just now; the customer is asked to repeat",
            },
        )
        n = self.record.turn_count + 1  # not stored: the customer's next try is turn n again
        await self.out.event("reply", {"turn": n, "text": UNSAVED_REPLY, "saved": False})
        chunks = self.voice.render(UNSAVED_REPLY)
        first = await self._next_chunk(chunks)
        self._start_speaking(first, chunks, turn=n, speech_end=None)

    # -- audio out --------------------------------------------------------------------------------

    async def _next_chunk(self, chunks: Iterator[AudioChunk]) -> AudioChunk | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.engine.pool, next, chunks, None)

    def _start_speaking(
        self,
        first: AudioChunk | None,
        rest: Iterator[AudioChunk],
        *,
        turn: int,
        speech_end: float | None,
        stat: TurnStat | None = None,
    ) -> None:
        if first is None or self.closed or self.taken_over:
            if stat is not None:
                self._spawn(self.conversations.storage.add_stat(self.record.store, stat))
            return
        reply = _Reply(turn, stat=stat)
        self._reply = reply
        self._speaking = self._spawn(self._speak(reply, first, rest, speech_end))

    async def _speak(
        self, reply: _Reply, first: AudioChunk, rest: Iterator[AudioChunk], speech_end: float | None
    ) -> None:
        """Send sentence after sentence, paced; the next one is synthesized while this one plays."""
        queue: asyncio.Queue[AudioChunk | None] = asyncio.Queue(maxsize=2)
        await queue.put(first)

        async def produce() -> None:
            while True:
                chunk = await self._next_chunk(rest)
                await queue.put(chunk)
                if chunk is None:
                    return

        producer = asyncio.create_task(produce())
        frame = self.out.out_rate * self.config.frame_ms // 1000
        try:
            index = 0
            while (chunk := await queue.get()) is not None:
                name = f"{reply.turn}.{index}"
                length_ms = round(chunk.duration_s * 1000)
                reply.sentences.append(_Sentence(name, chunk.text, reply.sent_ms, reply.sent_ms + length_ms))
                total = reply.sentences[-1].end_ms
                if index == 0:
                    self.voice.barge_in.start_playback(total, clock=reply.played_ms)
                else:
                    self.voice.barge_in.extend_playback(total)
                await self.out.event(
                    "speaking_started", {"turn": reply.turn, "sentence": index, "text": chunk.text}
                )
                pcm = np.asarray(chunk.pcm, dtype=np.float32)
                for start in range(0, pcm.size, frame):
                    await self._pace(reply)
                    await self.out.audio(pcm[start : start + frame])
                    if reply.started is None:
                        reply.started = time.perf_counter()
                        if speech_end is not None:
                            ms = round((reply.started - speech_end) * 1000, 1)
                            await self.out.event("first_audio", {"turn": reply.turn, "ms": ms})
                            if reply.stat is not None:
                                stat = reply.stat.model_copy(update={"first_audio_ms": ms})
                                self._spawn(self.conversations.storage.add_stat(self.record.store, stat))
                    reply.sent_ms += round(min(frame, pcm.size - start) * 1000 / self.out.out_rate)
                await self.out.mark(name)
                index += 1
            while reply.played_ms() < reply.sent_ms:  # let the far end finish playing before "stopped"
                await asyncio.sleep(min(0.05, (reply.sent_ms - reply.played_ms()) / 1000))
            await self.out.event("speaking_stopped", {"turn": reply.turn, "interrupted": False})
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer

    async def _pace(self, reply: _Reply) -> None:
        if reply.started is None:
            return
        ahead = reply.sent_ms - (time.perf_counter() - reply.started) * 1000
        if ahead > self.config.lead_ms:
            await asyncio.sleep((ahead - self.config.lead_ms) / 1000)

    async def _stop_speaking(self, *, barged: bool) -> None:
        speaking, self._speaking = self._speaking, None
        reply = self._reply
        if speaking is None or speaking.done():
            self.voice.barge_in.stop_playback()
            return
        speaking.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await speaking
        self.voice.barge_in.stop_playback()
        await self.out.clear()
        await self.out.event("speaking_stopped", {"turn": reply.turn if reply else 0, "interrupted": True})
        if barged and reply is not None and reply.turn > 0:
            self._spawn(self._note_heard(reply.turn, reply.heard(reply.played_ms())))

    async def _note_heard(self, turn: int, heard: tuple[str, ...]) -> None:
        async with self._turn_lock:  # the record is this runner's: no save may race the next turn's
            saved = await self.conversations.note_heard(self.record.session_id, turn, heard)
            if saved is not None:
                self.record = saved

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not self.closed:
            log.error("voice_task_failed", session=self.record.session_id, error=repr(error))
            notice = asyncio.create_task(
                self.out.event(
                    "error", {"code": "internal", "message": "the engine hit an error; please say it again"}
                )
            )
            notice.add_done_callback(lambda t: t.cancelled() or t.exception())


def _joined(first: TurnEnded, second: TurnEnded) -> TurnEnded:
    """One utterance from two, with the pause between them kept as silence (Whisper hears it as a pause)."""
    gap_ms = max(0, second.audio_start_ms - (first.audio_start_ms + first.audio.size * 1000 // SAMPLE_RATE))
    gap = np.zeros(SAMPLE_RATE * gap_ms // 1000, dtype=np.float32)
    audio = np.concatenate([first.audio, gap, second.audio]).astype(np.float32)
    return replace(second, audio=audio, start_ms=first.start_ms, audio_start_ms=first.audio_start_ms)
