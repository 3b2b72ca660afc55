"""What the service needs from storage, as Protocols (Redis implements them; see ``storage.redis``).

- :class:`SessionStore`: conversation records, written after every turn, with a TTL; a save from a stale
  copy (another worker wrote in between) is refused rather than lost silently.
- :class:`OrderSink`: submitted orders, one stream per store, **exactly once** per order id.
- :class:`AvailabilityStore`: per-store 86 list, read on every turn.
- :class:`KeyStore`: hashed API keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from orderline.dialog.record import Channel, ConversationRecord
from orderline.order.ticket import Ticket
from orderline.storage.keys import ApiKey


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


class Storage(SessionStore, OrderSink, AvailabilityStore, KeyStore, Protocol):
    """Everything the service keeps, plus health, rate counters and events for other workers."""

    async def ping(self) -> bool: ...

    async def hit(self, bucket: str, window_s: int = 60) -> tuple[int, int]: ...

    async def publish(self, store: str, event: dict[str, Any]) -> None: ...

    async def aclose(self) -> None: ...
