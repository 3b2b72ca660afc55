"""The Redis storage against a real (embedded) Redis server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderline.dialog.record import Channel, ConversationRecord, utc_now
from orderline.menu.schema import Menu
from orderline.order.machine import new_order
from orderline.order.ticket import ticket
from orderline.storage.base import StaleRecordError, SubmittedOrder
from orderline.storage.embedded import EmbeddedRedis
from orderline.storage.keys import Role, new_key
from orderline.storage.redis import RedisStorage


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server
    server.close()


def _storage(embedded: EmbeddedRedis) -> RedisStorage:
    return RedisStorage.from_socket(embedded.socket_path)


def _record(burger: Menu) -> ConversationRecord:
    return ConversationRecord(
        session_id="a" * 32,
        store="burger",
        menu_id=burger.id,
        menu_fingerprint="f" * 16,
        order=new_order("o-1"),
    )


def test_a_record_is_saved_and_a_stale_copy_is_refused(embedded: EmbeddedRedis, burger: Menu) -> None:
    async def main() -> None:
        storage = _storage(embedded)
        record = _record(burger).model_copy(update={"session_id": "b" * 32})
        saved = await storage.save_record(record, ttl_s=60)
        assert saved.version == 1
        loaded = await storage.load_record("b" * 32)
        assert loaded == saved
        again = await storage.save_record(saved, ttl_s=60)
        assert again.version == 2
        with pytest.raises(StaleRecordError):
            await storage.save_record(saved, ttl_s=60)  # version 1 is no longer current
        assert await storage.load_record("c" * 32) is None
        await storage.aclose()

    asyncio.run(main())


def test_an_order_is_submitted_exactly_once(embedded: EmbeddedRedis, burger: Menu) -> None:
    async def main() -> None:
        storage = _storage(embedded)
        order = SubmittedOrder(
            entry_id="",
            order_id="order-42",
            session_id="s" * 32,
            store="burger",
            channel=Channel.TEXT,
            submitted_at=utc_now(),
            ticket=ticket(new_order("order-42"), burger),
        )
        first = await storage.submit(order)
        second = await storage.submit(order)
        assert not first.duplicate and second.duplicate
        assert second.entry_id == first.entry_id
        assert await storage.stream_length("burger") == 1
        listed = await storage.orders("burger")
        assert [o.order_id for o in listed] == ["order-42"] and listed[0].entry_id == first.entry_id
        await storage.aclose()

    asyncio.run(main())


def test_availability_keys_and_rate_counters(embedded: EmbeddedRedis) -> None:
    async def main() -> None:
        storage = _storage(embedded)
        assert await storage.unavailable("pizza") == frozenset()
        assert await storage.set_availability("pizza", {"ham", "olives"}, set()) == {"ham", "olives"}
        assert await storage.set_availability("pizza", set(), {"ham"}) == {"olives"}
        _, key = new_key("pizza", Role.CREW)
        await storage.add_key(key)
        assert await storage.get_key(key.id) == key
        assert await storage.get_key("nosuchkey123") is None
        counts = [(await storage.hit("test-bucket"))[0] for _ in range(3)]
        assert counts == [1, 2, 3]
        assert await storage.ping()
        await storage.aclose()

    asyncio.run(main())


def test_data_survives_a_restart_of_the_embedded_server(tmp_path: Path) -> None:
    async def write(socket: str) -> None:
        storage = RedisStorage.from_socket(socket)
        await storage.set_availability("burger", {"fries"}, set())
        await storage.aclose()

    async def read(socket: str) -> frozenset[str]:
        storage = RedisStorage.from_socket(socket)
        try:
            return await storage.unavailable("burger")
        finally:
            await storage.aclose()

    first = EmbeddedRedis(tmp_path)
    asyncio.run(write(first.socket_path))
    first.close()
    second = EmbeddedRedis(tmp_path)
    try:
        assert asyncio.run(read(second.socket_path)) == {"fries"}
    finally:
        second.close()
