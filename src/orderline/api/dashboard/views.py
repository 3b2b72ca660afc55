"""What the pages show, built from conversation records, tickets and turn statistics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from orderline.core.commands import Unplaced
from orderline.core.events import (
    ClarificationNeeded,
    HandedOff,
    ModifierUnplaced,
    NotUnderstood,
    QuestionRepeated,
)
from orderline.core.provenance import Provenance, Source
from orderline.dialog.record import Channel, ConversationRecord, TurnRecord
from orderline.menu.schema import Menu
from orderline.order.state import TERMINAL_STATES
from orderline.order.ticket import Ticket, ticket

SILENCE_ALERT_S = 20
"""An open conversation with no turn for this long is flagged (the page's clock keeps it current)."""
TRANSCRIPT_TURNS = 6


@dataclass(frozen=True)
class TurnView:
    n: int
    text: str
    reply: str
    ms: float
    slm: bool
    crew: str | None
    at: datetime


@dataclass(frozen=True)
class Card:
    session_id: str
    channel: str
    state: str
    held_by: str | None
    updated: float
    ticket: Ticket
    model_lines: frozenset[int]
    transcript: tuple[TurnView, ...]
    alerts: tuple[str, ...]
    closed: bool
    items: tuple[tuple[str, str], ...] = field(default=())
    sizes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def short(self) -> str:
        return self.session_id[:6]

    @property
    def needs_human(self) -> bool:
        return bool(self.alerts) and not self.closed


def turn_ms(record: ConversationRecord, turn: TurnRecord) -> float:
    """Per-turn latency as the crew reads it: for a spoken turn, end of speech to the first reply audio as
    the server saw it; for a typed one, the time to answer."""
    t = turn.timings
    if record.channel is Channel.TEXT:
        return round(t.total_ms, 1)
    if t.first_audio_ms:
        return round(t.first_audio_ms, 1)
    return round(
        t.endpoint_ms + t.asr_ms + t.rescore_ms + t.nlu_ms + t.order_ms + t.reply_ms + t.tts_first_ms, 1
    )


def _crew(turn: TurnRecord) -> str | None:
    names = {c.provenance.name for c in turn.commands if c.provenance.source is Source.CREW}
    return ", ".join(sorted(names)) or None


def alerts(record: ConversationRecord, now: float | None = None) -> tuple[str, ...]:
    """Why this conversation may need a person."""
    out: list[str] = []
    turns = record.turns
    if record.order.state.value == "handed_off" or any(
        isinstance(e, HandedOff) for t in turns[-3:] for e in t.events
    ):
        out.append("Asked for a person")
    last = turns[-1] if turns else None
    asked = [any(isinstance(e, ClarificationNeeded | QuestionRepeated) for e in t.events) for t in turns[-2:]]
    if (len(asked) == 2 and all(asked)) or (
        last is not None and any(isinstance(e, QuestionRepeated) for e in last.events)
    ):
        out.append("Asked the same question again")
    if last is not None:
        unplaced = [e.words for e in last.events if isinstance(e, ModifierUnplaced)]
        unplaced += [c.words for c in last.commands if isinstance(c, Unplaced)]
        if unplaced or any(isinstance(e, NotUnderstood) for e in last.events):
            words = "; ".join(dict.fromkeys(w for w in unplaced if w)) or last.text
            out.append(f"Could not place: \u201c{words}\u201d")
    closed = record.order.state in TERMINAL_STATES
    idle = (now or time.time()) - record.updated_at.timestamp()
    if not closed and record.held_by is None and idle > SILENCE_ALERT_S:
        out.append(f"Silent for {int(idle)} s")
    return tuple(out)


def _model_lines(record: ConversationRecord) -> frozenset[int]:
    return frozenset(
        line.id for line in record.order.lines if any(p.source is Source.MODEL for p in line.provenance)
    )


def card(record: ConversationRecord, menu: Menu, now: float | None = None) -> Card:
    turns = tuple(
        TurnView(
            n=t.n,
            text=t.text,
            reply=" ".join(t.said) if t.said is not None else t.reply,
            ms=turn_ms(record, t),
            slm=any(c.provenance.source is Source.MODEL for c in t.commands),
            crew=_crew(t),
            at=t.at,
        )
        for t in record.turns[-TRANSCRIPT_TURNS:]
    )
    return Card(
        session_id=record.session_id,
        channel=record.channel.value,
        state=record.order.state.value.replace("_", " "),
        held_by=record.held_by,
        updated=record.updated_at.timestamp(),
        ticket=ticket(record.order, menu),
        model_lines=_model_lines(record),
        transcript=turns,
        alerts=alerts(record, now),
        closed=record.order.state in TERMINAL_STATES,
        items=tuple((i.id, i.name) for i in menu.items if i.available),
        sizes=tuple((z.id, z.name) for z in menu.sizes),
    )


def provenance_words(p: Provenance) -> str:
    """``model orderline-smollm2-lora, 0.91, 212 ms`` / ``rule tier1`` / ``crew alice``."""
    parts = [f"{p.source.value} {p.name}"]
    if p.source is Source.MODEL or p.confidence < 1.0:
        parts.append(f"{p.confidence:.2f}")
    if p.latency_ms:
        parts.append(f"{p.latency_ms:.0f} ms")
    return ", ".join(parts)
