"""What the service needs from storage, as Protocols (Redis implements them; see ``storage.redis``).

- :class:`SessionStore`: conversation records, written after every turn, with a TTL; a save from a stale
  copy (another worker wrote in between) is refused rather than lost silently.
- :class:`OrderSink`: submitted orders, one stream per store, **exactly once** per order id.
- :class:`AvailabilityStore`: per-store 86 list, read on every turn.
- :class:`KeyStore`: hashed API keys.
- :class:`Board`: what the ops dashboard reads and writes: users, the index of live sessions, the status
  of submitted orders (ready, recalled), archived transcripts, per-turn statistics, and the event channels
  that carry live updates and crew control between workers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from orderline.dialog.record import Channel, ConversationRecord
from orderline.order.ticket import Ticket
from orderline.storage.keys import ApiKey
from orderline.storage.users import DashboardUser


class StorageError(Exception):
    """Storage is unreachable or answered something unexpected."""


class StaleRecordError(StorageError):
    """The record changed since it was read (a concurrent turn on the same session)."""


class SubmittedOrder(BaseModel):
    """One entry of a store's order stream."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    order_id: str
    session_id: str
    store: str
    channel: Channel
    submitted_at: datetime
    ticket: Ticket


class SubmitResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry_id: str
    duplicate: bool  # True: this order id was already on the stream; nothing was added


class SessionStore(Protocol):
    async def load_record(self, session_id: str) -> ConversationRecord | None: ...

    async def save_record(self, record: ConversationRecord, ttl_s: int) -> ConversationRecord:
        """Store ``record`` if the stored copy still has ``record.version``; returns it with version + 1.

        Raises:
            StaleRecordError: another writer saved first.
        """
        ...


class OrderSink(Protocol):
    async def submit(self, order: SubmittedOrder) -> SubmitResult:
        """Append to the store's stream unless this order id is already there (idempotent)."""
        ...

    async def orders(self, store: str, limit: int = 50) -> list[SubmittedOrder]:
        """Submitted orders, newest first."""
        ...


class AvailabilityStore(Protocol):
    async def unavailable(self, store: str) -> frozenset[str]: ...

    async def set_availability(self, store: str, off: set[str], on: set[str]) -> frozenset[str]: ...


class KeyStore(Protocol):
    async def add_key(self, key: ApiKey) -> None: ...

    async def get_key(self, key_id: str) -> ApiKey | None: ...


class OrderStatus(StrEnum):
    NEW = "new"  # in the queue (also after a recall)
    READY = "ready"  # handed out at the window


class OrderMark(BaseModel):
    """The latest status of a submitted order, and who set it."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    status: OrderStatus = OrderStatus.NEW
    by: str = ""
    at: datetime | None = None


class TurnStat(BaseModel):
    """One turn, as the metrics page aggregates it (kept per store for a day)."""

    model_config = ConfigDict(frozen=True)

    at: float  # unix seconds
    channel: str
    total_ms: float
    first_audio_ms: float = 0.0
    endpoint_ms: float = 0.0
    asr_ms: float = 0.0
    nlu_ms: float = 0.0
    tts_first_ms: float = 0.0
    slm_calls: int = 0
    slm_fallbacks: int = 0  # calls answered by a later chain step, or by nobody
    clarify: bool = False
    handoff: bool = False
    unplaced: bool = False


class Board(Protocol):
    async def add_user(self, user: DashboardUser) -> None: ...

    async def get_user(self, store: str, name: str) -> DashboardUser | None: ...

    async def touch_live(self, store: str, session_id: str, at: float) -> None: ...

    async def end_live(self, store: str, session_id: str) -> None: ...

    async def live(self, store: str, since: float) -> list[str]:
        """Sessions of ``store`` with activity since ``since`` (unix seconds), most recent first."""
        ...

    async def order(self, store: str, order_id: str) -> SubmittedOrder | None: ...

    async def mark_order(self, store: str, mark: OrderMark) -> None: ...

    async def order_marks(self, store: str) -> dict[str, OrderMark]: ...

    async def archive(self, record: ConversationRecord, ttl_s: int) -> None:
        """Keep a copy of a finished conversation (the order detail shows its transcript)."""
        ...

    async def archived(self, session_id: str) -> ConversationRecord | None: ...

    async def add_stat(self, store: str, stat: TurnStat) -> None: ...

    async def stats(self, store: str, since: float) -> list[TurnStat]: ...

    async def control(self, message: dict[str, Any]) -> None:
        """Crew control for whichever worker holds the session's stream (take over, hand back)."""
        ...

    def listen(self, *channels: str) -> AsyncIterator[dict[str, Any]]:
        """Messages from ``events:{store}`` or ``control`` channels, as they are published."""
        ...


class Storage(SessionStore, OrderSink, AvailabilityStore, KeyStore, Board, Protocol):
    """Everything the service keeps, plus health, rate counters and events for other workers."""

    async def ping(self) -> bool: ...

    async def hit(self, bucket: str, window_s: int = 60) -> tuple[int, int]: ...

    async def publish(self, store: str, event: dict[str, Any]) -> None: ...

    async def aclose(self) -> None: ...
