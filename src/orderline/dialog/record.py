"""The serialisable conversation record: what a session is, apart from any live object.

One record per conversation, written to the session store after every turn, so any worker can resume it.
It holds the order, where the conversation came from (store, channel), the menu it was taken on (id and
fingerprint, so a resumed session notices an edited menu), and a bounded log of turns with everything that
explains them: words heard, commands with their provenance, events, SLM calls and stage timings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orderline.core.commands import Command
from orderline.core.events import Event
from orderline.core.provenance import Provenance
from orderline.dialog.session import Turn
from orderline.nlu.coverage import SlmCall
from orderline.order.state import DialogState, Order

RECORD_VERSION = 1
"""Schema version of the stored record; a reader refuses a newer one rather than misread it."""


class Channel(StrEnum):
    TEXT = "text"
    LANE = "lane"
    PHONE = "phone"


def utc_now() -> datetime:
    return datetime.now(UTC)


class VoiceTimings(BaseModel):
    """The audio stages of a spoken turn, in milliseconds (wall clock on the server)."""

    model_config = ConfigDict(frozen=True)

    endpoint_ms: float = Field(
        0.0, description="Silence waited after the end of speech before the turn ended."
    )
    asr_ms: float = 0.0
    rescore_ms: float = 0.0
    tts_first_ms: float = Field(0.0, description="Until the first reply sentence was synthesized.")
    first_audio_ms: float = Field(
        0.0, description="End of speech to the first reply audio sent (server side)."
    )
    prepared: bool = Field(False, description="The turn was prepared during the customer's pause.")

    def as_fields(self) -> dict[str, float | bool]:
        return self.model_dump()


class StageTimings(VoiceTimings):
    """Milliseconds spent per stage of one turn (the voice stages are zero for text turns)."""

    nlu_ms: float = 0.0
    order_ms: float = 0.0
    reply_ms: float = 0.0
    total_ms: float = 0.0

    @classmethod
    def of(cls, turn: Turn, total_ms: float) -> StageTimings:
        t = turn.timings_ms
        return cls(
            nlu_ms=round(t.get("nlu", 0.0), 3),
            order_ms=round(t.get("order", 0.0), 3),
            reply_ms=round(t.get("reply", 0.0), 3),
            total_ms=round(total_ms, 3),
        )


class TurnRecord(BaseModel):
    """One turn as it is kept: what was heard, what understanding proposed, what happened."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(ge=1, description="1 for the first customer turn of the conversation.")
    at: datetime
    text: str
    reply: str
    state: DialogState = Field(description="Dialog state after the turn.")
    commands: tuple[Command, ...] = ()
    events: tuple[Event, ...] = ()
    slm_calls: tuple[SlmCall, ...] = ()
    timings: StageTimings = StageTimings()
    notices: tuple[str, ...] = Field((), description="Said before the reply (e.g. the menu changed).")
    said: tuple[str, ...] | None = Field(
        None, description="Spoken turns: the reply sentences the customer heard (None: all, or a text turn)."
    )
    idempotency_key: str | None = None

    @property
    def provenance(self) -> tuple[Provenance, ...]:
        return tuple(c.provenance for c in self.commands)


class ConversationRecord(BaseModel):
    """Everything needed to resume a conversation on any worker."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = RECORD_VERSION
    session_id: str
    store: str
    channel: Channel = Channel.TEXT
    menu_id: str
    menu_fingerprint: str
    order: Order
    turns: tuple[TurnRecord, ...] = ()
    turn_count: int = 0
    version: int = Field(0, description="Incremented by every save; a save from a stale copy is refused.")
    held_by: str | None = Field(
        None, description="A crew member has taken the conversation over: the engine neither speaks nor acts."
    )
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    def with_turn(
        self, turn: TurnRecord, order: Order, keep: int, fingerprint: str | None = None
    ) -> ConversationRecord:
        """The record after ``turn`` (the log keeps the last ``keep`` turns)."""
        return self.model_copy(
            update={
                "order": order,
                "turns": (*self.turns, turn)[-keep:],
                "turn_count": self.turn_count + 1,
                "updated_at": turn.at,
                "menu_fingerprint": fingerprint or self.menu_fingerprint,
            }
        )

    @property
    def last_turn(self) -> TurnRecord | None:
        return self.turns[-1] if self.turns else None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationRecord:
        """Raises:
        ValueError: a record written by a newer schema, or not a record at all (pydantic's error).
        """
        version = data.get("schema_version", RECORD_VERSION)
        if not isinstance(version, int) or version > RECORD_VERSION:
            raise ValueError(f"conversation record schema {version!r} is newer than {RECORD_VERSION}")
        return cls.model_validate(data)
