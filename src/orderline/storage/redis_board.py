"""The dashboard's part of :class:`~orderline.storage.redis.RedisStorage` (the :class:`Board` Protocol).

Keys (``ol:`` prefix):
- ``ol:users:{store}`` hash name -> user (argon2 hash inside);
- ``ol:live:{store}`` sorted set session id -> last activity (unix seconds); idle ones age out by score;
- ``ol:marks:{store}`` hash order id -> status (ready / new after a recall) with who and when;
- ``ol:archive:{session}`` a finished conversation's record, kept ``ttl`` (a week by default);
- ``ol:stats:{store}`` stream of per-turn statistics, trimmed to about a day at drive-thru volume;
- channels ``ol:events:{store}`` (live updates) and ``ol:control`` (crew takeover between workers).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from orderline.dialog.record import ConversationRecord
from orderline.storage.base import OrderMark, StorageError, SubmittedOrder, TurnStat
from orderline.storage.users import DashboardUser

STATS_MAXLEN = 50_000
"""Turn statistics kept per store (a busy store does a few thousand turns a day)."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class BoardMixin:
    client: aioredis.Redis
    prefix: str

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- users
    async def add_user(self, user: DashboardUser) -> None:
        await self.client.hset(self._key("users", user.store), user.name, user.model_dump_json())

    async def get_user(self, store: str, name: str) -> DashboardUser | None:
        try:
            raw = await self.client.hget(self._key("users", store), name.lower())
        except (RedisError, OSError) as exc:
            raise StorageError(f"users: {exc}") from exc
        return DashboardUser.model_validate_json(raw) if raw is not None else None

    # -- the live index
    async def touch_live(self, store: str, session_id: str, at: float) -> None:
        await self.client.zadd(self._key("live", store), {session_id: at})

    async def end_live(self, store: str, session_id: str) -> None:
        await self.client.zrem(self._key("live", store), session_id)

    async def live(self, store: str, since: float) -> list[str]:
        key = self._key("live", store)
        try:
            await self.client.zremrangebyscore(key, "-inf", f"({since}")
            members = await self.client.zrevrange(key, 0, 199)
        except (RedisError, OSError) as exc:
            raise StorageError(f"live index: {exc}") from exc
        return [_text(m) for m in members]

    # -- the order board
    async def order(self, store: str, order_id: str) -> SubmittedOrder | None:
        try:
            entry = await self.client.get(self._key("submitted", order_id))
            if entry is None:
                return None
            rows = await self.client.xrange(self._key("orders", store), min=entry, max=entry, count=1)
        except (RedisError, OSError) as exc:
            raise StorageError(f"order stream: {exc}") from exc
        for entry_id, fields in rows or []:
            data = json.loads((fields or {})[b"order"])
            return SubmittedOrder.model_validate({**data, "entry_id": _text(entry_id)})
        return None

    async def mark_order(self, store: str, mark: OrderMark) -> None:
        await self.client.hset(self._key("marks", store), mark.order_id, mark.model_dump_json())

    async def order_marks(self, store: str) -> dict[str, OrderMark]:
        try:
            raw = await self.client.hgetall(self._key("marks", store))
        except (RedisError, OSError) as exc:
            raise StorageError(f"order marks: {exc}") from exc
        return {_text(k): OrderMark.model_validate_json(v) for k, v in raw.items()}

    # -- transcripts of finished conversations
    async def archive(self, record: ConversationRecord, ttl_s: int) -> None:
        await self.client.set(self._key("archive", record.session_id), json.dumps(record.to_dict()), ex=ttl_s)

    async def archived(self, session_id: str) -> ConversationRecord | None:
        raw = await self.client.get(self._key("archive", session_id))
        return ConversationRecord.from_dict(json.loads(raw)) if raw is not None else None

    # -- statistics
    async def add_stat(self, store: str, stat: TurnStat) -> None:
        await self.client.xadd(
            self._key("stats", store), {"s": stat.model_dump_json()}, maxlen=STATS_MAXLEN, approximate=True
        )

    async def stats(self, store: str, since: float) -> list[TurnStat]:
        try:
            rows = await self.client.xrange(self._key("stats", store), min=str(int(since * 1000)), max="+")
        except (RedisError, OSError) as exc:
            raise StorageError(f"stats: {exc}") from exc
        return [TurnStat.model_validate_json((fields or {})[b"s"]) for _, fields in rows or []]

    # -- channels
    async def control(self, message: dict[str, Any]) -> None:
        await self.client.publish(self._key("control"), json.dumps(message))

    async def listen(self, *channels: str) -> AsyncIterator[dict[str, Any]]:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*(self._key(*c.split(":")) for c in channels))
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    data = json.loads(message["data"])
                except (ValueError, TypeError):
                    continue
                if isinstance(data, dict):
                    yield data
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8.2
