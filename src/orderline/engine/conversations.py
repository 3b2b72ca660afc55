"""Conversations as a service: start, take a turn, read - with the record saved after every turn.

Used by the HTTP text API today and by the voice transports (lane, phone) the same way: whatever the
channel, a turn is ``load record -> apply the store's 86 list -> understand -> transition -> reply ->
submit (exactly once) -> save``. A submitted order reaches the store's stream *before* the record is saved,
so a worker that dies in between leaves a record still in readback; replaying that turn submits again,
and the stream's idempotency key (the order id) adds nothing the second time.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import structlog

from orderline.core.commands import Command
from orderline.core.events import (
    ClarificationNeeded,
    HandedOff,
    ModifierUnplaced,
    NotUnderstood,
    OrderSubmitted,
)
from orderline.dialog.record import (
    Channel,
    ConversationRecord,
    StageTimings,
    TurnRecord,
    VoiceTimings,
    utc_now,
)
from orderline.dialog.session import TextSession, Turn
from orderline.engine.engine import Engine
from orderline.engine.metrics import Metrics
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.coverage import Coverage, Understanding
from orderline.order.machine import new_order
from orderline.order.revalidate import revalidate
from orderline.order.state import Order
from orderline.order.ticket import ticket
from orderline.storage.base import StaleRecordError, Storage, SubmitResult, SubmittedOrder, TurnStat

log = structlog.get_logger("orderline.conversations")


class SessionNotFoundError(LookupError):
    """No live record for that session id (never existed, expired, or belongs to another store)."""


class SessionHeldError(RuntimeError):
    """A crew member has taken this conversation over: the engine does not act on it until handed back."""

    def __init__(self, session_id: str, by: str) -> None:
        super().__init__(f"session {session_id} is held by {by}")
        self.by = by


ARCHIVE_TTL_S = 7 * 24 * 3600
"""A submitted order's conversation stays readable on the dashboard this long."""


class WorkerFullError(RuntimeError):
    """This worker already holds its maximum of live sessions; try again shortly (or another worker)."""

    retry_after_s = 5


@dataclass(frozen=True)
class TurnContext:
    """What one turn runs against (see :meth:`Conversations.context`)."""

    menu: Menu
    order: Order
    notices: tuple[str, ...]
    understander: Understander
    fingerprint: str

    def session(self) -> TextSession:
        """A text session on this context: plan a turn with it, then hand the turn to ``commit``."""
        return TextSession(menu=self.menu, understander=self.understander, order=self.order)


@dataclass(frozen=True)
class TurnOutcome:
    record: ConversationRecord
    turn: TurnRecord
    replayed: bool = False  # the same idempotency key was seen: the stored turn is returned, nothing re-run
    submitted: SubmitResult | None = None
    stat: TurnStat | None = None  # a spoken turn's statistics, kept once its first reply audio is out


@dataclass
class LiveSessions:
    """Sessions this worker is serving: admission control counts them (idle ones age out)."""

    limit: int
    idle_s: float
    _seen: dict[str, float] = field(default_factory=dict)

    def _expire(self, now: float) -> None:
        for sid in [s for s, t in self._seen.items() if now - t > self.idle_s]:
            del self._seen[sid]

    def admit(self, session_id: str) -> None:
        """Raises:
        WorkerFullError: a new session while the worker is full.
        """
        now = time.monotonic()
        self._expire(now)
        if session_id not in self._seen and len(self._seen) >= self.limit:
            raise WorkerFullError(f"this worker holds {self.limit} live sessions")
        self._seen[session_id] = now

    def touch(self, session_id: str) -> None:
        """A turn on an existing session: never refused (a live session is never dropped)."""
        self._seen[session_id] = time.monotonic()

    def end(self, session_id: str) -> None:
        self._seen.pop(session_id, None)

    def __len__(self) -> int:
        self._expire(time.monotonic())
        return len(self._seen)


class Conversations:
    """The conversation service over one engine and one storage."""

    def __init__(self, engine: Engine, storage: Storage, metrics: Metrics) -> None:
        self.engine = engine
        self.storage = storage
        self.metrics = metrics
        s = engine.settings
        self.live = LiveSessions(limit=s.max_live_sessions, idle_s=s.session_idle_s)

    def _admit_load(self) -> None:
        """Shed a new session while the model pool is saturated: live sessions keep their turns.

        Raises:
            WorkerFullError: more model calls are waiting than ``max_model_queue``.
        """
        limit = self.engine.settings.max_model_queue
        waiting = self.engine.model_queue()
        if limit and waiting > limit:
            raise WorkerFullError(f"the models are saturated ({waiting} calls waiting)")

    async def start(
        self, store_id: str, channel: Channel = Channel.TEXT, daypart: str | None = None
    ) -> ConversationRecord:
        """A new conversation (saved at once), with the greeting still to be said.

        Raises:
            UnknownStoreError: no such store.
            WorkerFullError: this worker is full.
        """
        sm = self.engine.store_menu(store_id)
        session_id = uuid.uuid4().hex
        try:
            self._admit_load()
            self.live.admit(session_id)
        except WorkerFullError:
            self.metrics.shed.inc()
            raise
        self.metrics.live_sessions.set(len(self.live))
        order = new_order(uuid.uuid4().hex, daypart or self.engine.daypart(store_id))
        record = ConversationRecord(
            session_id=session_id,
            store=store_id,
            channel=channel,
            menu_id=sm.menu.id,
            menu_fingerprint=sm.fingerprint,
            order=order,
        )
        saved = await self.storage.save_record(record, self.engine.settings.session_ttl_s)
        await self.storage.touch_live(store_id, session_id, time.time())
        await self.storage.publish(
            store_id, {"type": "session", "session": session_id, "channel": channel.value}
        )
        log.info("session_started", store=store_id, session=session_id, channel=channel.value)
        return saved

    async def get(self, session_id: str, store_id: str | None = None) -> ConversationRecord:
        record = await self.storage.load_record(session_id)
        if record is None or (store_id is not None and record.store != store_id):
            raise SessionNotFoundError(session_id)
        return record

    async def turn(
        self, session_id: str, text: str, *, store_id: str | None = None, idempotency_key: str | None = None
    ) -> TurnOutcome:
        """One typed customer utterance: understand, transition, reply, submit (once), save.

        Raises:
            SessionNotFoundError: unknown or expired session, or one of another store.
            StaleRecordError: a concurrent turn on the same session saved first.
            StorageError: Redis is unreachable.
        """
        started = time.perf_counter()
        record = await self.get(session_id, store_id)
        last = record.last_turn
        if idempotency_key is not None and last is not None and last.idempotency_key == idempotency_key:
            return TurnOutcome(record, last, replayed=True)
        if record.held_by is not None:
            raise SessionHeldError(session_id, record.held_by)
        ctx = await self.context(record)
        planned = await ctx.session().plan(text)
        return await self.commit(record, ctx, planned, idempotency_key=idempotency_key, started=started)

    async def context(self, record: ConversationRecord) -> TurnContext:
        """What the next turn runs against: the store's menu with today's 86 list, and the order (re-checked
        when the menu was edited since the record was written)."""
        sm = self.engine.store_menu(record.store)
        menu = self.engine.live_menu(record.store, await self.storage.unavailable(record.store))
        order = record.order
        notices: tuple[str, ...] = ()
        if record.menu_fingerprint != sm.fingerprint:
            order, notices = revalidate(order, menu)
            log.info("menu_changed_on_resume", was=record.menu_fingerprint, now=sm.fingerprint, notes=notices)
        return TurnContext(
            menu=menu, order=order, notices=notices, understander=sm.understander, fingerprint=sm.fingerprint
        )

    async def commit(
        self,
        record: ConversationRecord,
        ctx: TurnContext,
        planned: Turn,
        *,
        idempotency_key: str | None = None,
        started: float | None = None,
        voice: VoiceTimings | None = None,
        crew: bool = False,
    ) -> TurnOutcome:
        """Make a planned turn happen: submit a confirmed order (exactly once), then save the record.

        Raises:
            SessionHeldError: a crew member holds the conversation (``crew`` turns excepted).
            StaleRecordError: the record changed since it was read.
            StorageError: Redis is unreachable.
        """
        if record.held_by is not None and not crew:
            raise SessionHeldError(record.session_id, record.held_by)
        structlog.contextvars.bind_contextvars(
            store=record.store, session=record.session_id, turn=record.turn_count + 1
        )
        try:
            return await self._commit(
                record, ctx, planned, idempotency_key, started or time.perf_counter(), voice
            )
        finally:
            structlog.contextvars.unbind_contextvars("store", "session", "turn")

    async def _commit(
        self,
        record: ConversationRecord,
        ctx: TurnContext,
        turn: Turn,
        idempotency_key: str | None,
        started: float,
        voice: VoiceTimings | None,
    ) -> TurnOutcome:
        self.live.touch(record.session_id)
        submitted: SubmitResult | None = None
        if any(isinstance(e, OrderSubmitted) for e in turn.events):
            submitted = await self.storage.submit(
                SubmittedOrder(
                    entry_id="",
                    order_id=turn.order.id,
                    session_id=record.session_id,
                    store=record.store,
                    channel=record.channel,
                    submitted_at=utc_now(),
                    ticket=ticket(turn.order, ctx.menu),
                )
            )
            if submitted.duplicate:
                self.metrics.duplicates.inc()
            log.info(
                "order_submitted",
                order=turn.order.id,
                entry=submitted.entry_id,
                duplicate=submitted.duplicate,
            )
        notices = ctx.notices
        reply = " ".join((*(note[0].upper() + note[1:] + "." for note in notices), turn.reply))
        timings = StageTimings.of(turn, (time.perf_counter() - started) * 1000)
        if voice is not None:
            timings = timings.model_copy(update=voice.as_fields())
        entry = TurnRecord(
            n=record.turn_count + 1,
            at=utc_now(),
            text=turn.text,
            reply=reply,
            state=turn.order.state,
            commands=turn.understanding.commands,
            events=turn.events,
            slm_calls=turn.understanding.calls,
            timings=timings,
            notices=notices,
            idempotency_key=idempotency_key,
        )
        new = record.with_turn(entry, turn.order, self.engine.settings.turn_log_size, ctx.fingerprint)
        saved = await self.storage.save_record(new, self.engine.settings.session_ttl_s)
        if turn.order.is_closed:
            self.live.end(record.session_id)
            await self.storage.end_live(record.store, record.session_id)
        else:
            await self.storage.touch_live(record.store, record.session_id, time.time())
        if submitted is not None:
            await self.storage.archive(saved, ARCHIVE_TTL_S)
        self.metrics.live_sessions.set(len(self.live))
        self.metrics.observe_turn(
            record.store, record.channel.value, entry.timings, entry.events, entry.slm_calls
        )
        self.engine.slm.record(entry.slm_calls)
        stat = turn_stat(record, entry)
        if voice is None:
            await self.storage.add_stat(record.store, stat)
        await self.storage.publish(
            record.store,
            {"type": "turn", "session": record.session_id, "turn": entry.n, "state": entry.state.value},
        )
        log.info("turn", state=entry.state.value, ms=entry.timings.total_ms, slm_calls=len(entry.slm_calls))
        return TurnOutcome(saved, entry, submitted=submitted, stat=stat if voice is not None else None)

    async def apply(
        self, record: ConversationRecord, commands: tuple[Command, ...], text: str, *, crew: bool = False
    ) -> TurnOutcome:
        """A turn that did not come from words (a keypad press, the crew): ``commands`` as given."""
        ctx = await self.context(record)
        understanding = Understanding(text=text, commands=commands, coverage=Coverage())
        return await self.commit(record, ctx, ctx.session().outcome(text, understanding, 0.0), crew=crew)

    async def hold(self, session_id: str, store_id: str, who: str | None) -> ConversationRecord:
        """A crew member takes the conversation over (``who``) or hands it back (None); every worker's
        stream for it hears of it on the control channel.

        Raises:
            SessionNotFoundError: unknown or expired session, or one of another store.
        """
        for _ in range(5):
            record = await self.get(session_id, store_id)
            if record.held_by == who:
                return record
            try:
                saved = await self.storage.save_record(
                    record.model_copy(update={"held_by": who}), self.engine.settings.session_ttl_s
                )
            except StaleRecordError:
                continue
            action = "takeover" if who is not None else "handback"
            by = who if who is not None else (record.held_by or "")
            await self.storage.control({"action": action, "session": session_id, "by": by})
            await self.storage.publish(store_id, {"type": action, "session": session_id, "by": by})
            log.info("session_" + action, store=store_id, session=session_id, by=by)
            return saved
        raise StaleRecordError(f"session {session_id} kept changing")

    async def note_heard(
        self, session_id: str, turn_n: int, said: tuple[str, ...]
    ) -> ConversationRecord | None:
        """Keep in the turn log only the reply sentences the customer heard (a barge-in cut the rest)."""
        for _ in range(3):
            record = await self.storage.load_record(session_id)
            if record is None:
                return None
            turns = tuple(t.model_copy(update={"said": said}) if t.n == turn_n else t for t in record.turns)
            try:
                return await self.storage.save_record(
                    record.model_copy(update={"turns": turns}), self.engine.settings.session_ttl_s
                )
            except StaleRecordError:
                continue
        return None


def turn_stat(record: ConversationRecord, entry: TurnRecord) -> TurnStat:
    """What the metrics page keeps of one turn."""
    t = entry.timings
    return TurnStat(
        at=entry.at.timestamp(),
        channel=record.channel.value,
        total_ms=t.total_ms,
        first_audio_ms=t.first_audio_ms,
        endpoint_ms=t.endpoint_ms,
        asr_ms=t.asr_ms,
        nlu_ms=t.nlu_ms,
        tts_first_ms=t.tts_first_ms,
        slm_calls=len(entry.slm_calls),
        slm_fallbacks=sum(1 for c in entry.slm_calls if not c.ok or len(c.attempts) > 1),
        clarify=any(isinstance(e, ClarificationNeeded) for e in entry.events),
        handoff=any(isinstance(e, HandedOff) for e in entry.events),
        unplaced=any(isinstance(e, ModifierUnplaced | NotUnderstood) for e in entry.events),
    )
