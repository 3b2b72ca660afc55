"""The dashboard's storage (users, live index, order marks, archive, stats, channels) on a real embedded Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from orderline.dialog.record import ConversationRecord
from orderline.order.machine import new_order
from orderline.storage.base import OrderMark, OrderStatus, TurnStat
from orderline.storage.embedded import EmbeddedRedis
from orderline.storage.keys import Role
from orderline.storage.redis import RedisStorage
from orderline.storage.users import check_password, new_user


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis-board"))
    yield server
    server.close()


def _run(embedded: EmbeddedRedis, body: object) -> object:
    async def main() -> object:
        storage = RedisStorage.from_socket(embedded.socket_path)
        try:
            return await body(storage)  # type: ignore[operator]
        finally:
            await storage.aclose()

    return asyncio.run(main())


def test_users_are_kept_per_store_with_a_hashed_password(embedded: EmbeddedRedis) -> None:
    async def body(storage: RedisStorage) -> None:
        await storage.add_user(new_user("Mia", "burger", Role.MANAGER, "long enough pw"))
        user = await storage.get_user("burger", "mia")
        assert user is not None and user.role is Role.MANAGER
        assert "long enough pw" not in user.password_hash and user.password_hash.startswith("$argon2id$")
        assert check_password(user, "long enough pw") and not check_password(user, "long enough PW")
        assert await storage.get_user("pizza", "mia") is None

    _run(embedded, body)


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        new_user("mia", "burger", Role.CREW, "short")


def test_the_live_index_ages_out_idle_sessions(embedded: EmbeddedRedis) -> None:
    async def body(storage: RedisStorage) -> None:
        now = time.time()
        await storage.touch_live("burger", "old", now - 1000)
        await storage.touch_live("burger", "new", now)
        await storage.touch_live("burger", "ended", now)
        await storage.end_live("burger", "ended")
        assert await storage.live("burger", now - 300) == ["new"]

    _run(embedded, body)


def test_marks_archive_and_stats_round_trip(embedded: EmbeddedRedis) -> None:
    async def body(storage: RedisStorage) -> None:
        await storage.mark_order("burger", OrderMark(order_id="o1", status=OrderStatus.READY, by="cole"))
        assert (await storage.order_marks("burger"))["o1"].by == "cole"
        record = ConversationRecord(
            session_id="s" * 32, store="burger", menu_id="m", menu_fingerprint="f" * 16, order=new_order("o1")
        )
        await storage.archive(record, 60)
        assert (await storage.archived("s" * 32)) == record
        await storage.add_stat(
            "burger", TurnStat(at=time.time(), channel="lane", total_ms=12.0, clarify=True)
        )
        stats = await storage.stats("burger", time.time() - 60)
        assert len(stats) == 1 and stats[0].clarify

    _run(embedded, body)


def test_events_and_control_messages_reach_a_listener(embedded: EmbeddedRedis) -> None:
    async def body(storage: RedisStorage) -> list[dict[str, object]]:
        got: list[dict[str, object]] = []

        async def listen() -> None:
            async for message in storage.listen("events:burger", "control"):
                got.append(message)
                if len(got) == 2:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.2)  # subscribed
        await storage.publish("burger", {"type": "turn", "session": "x"})
        await storage.publish("pizza", {"type": "turn", "session": "other store"})
        await storage.control({"action": "takeover", "session": "x", "by": "cole"})
        await asyncio.wait_for(task, 10)
        return got

    got = _run(embedded, body)
    assert got == [{"type": "turn", "session": "x"}, {"action": "takeover", "session": "x", "by": "cole"}]
