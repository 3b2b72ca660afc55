"""The conversation service in process, on a real embedded Redis: resume on a changed menu, admission."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
import yaml

from orderline.engine.conversations import Conversations, LiveSessions, SessionNotFoundError, WorkerFullError
from orderline.engine.engine import Engine
from orderline.engine.metrics import Metrics
from orderline.engine.settings import Settings
from orderline.engine.storage import open_storage

ROOT = Path(__file__).resolve().parents[2]


def _setup(tmp_path: Path, menu_file: Path) -> Settings:
    stores = tmp_path / "stores.yaml"
    stores.write_text(yaml.safe_dump({"stores": [{"id": "burger", "name": "B", "menu": str(menu_file)}]}))
    return Settings(_env_file=None, nlu="rules", stores_file=stores, data_dir=tmp_path / "redis")  # type: ignore[call-arg]


def test_a_session_resumed_on_an_edited_menu_is_told_what_went_away(tmp_path: Path) -> None:
    menu_file = tmp_path / "burger.yaml"
    data = yaml.safe_load((ROOT / "menus" / "burger.yaml").read_text())
    menu_file.write_text(yaml.safe_dump(data))
    settings = _setup(tmp_path, menu_file)

    async def before() -> str:
        opened = open_storage(settings)
        service = Conversations(Engine.build(settings), opened.storage, Metrics())
        record = await service.start("burger")
        await service.turn(record.session_id, "a hamburger and a cheeseburger")
        await opened.aclose()
        return record.session_id

    session_id = asyncio.run(before())
    data["items"] = [i for i in data["items"] if i["id"] != "hamburger"]
    menu_file.write_text(yaml.safe_dump(data))  # the operator deletes the hamburger; a new worker starts

    async def after() -> None:
        opened = open_storage(settings)
        service = Conversations(Engine.build(settings), opened.storage, Metrics())
        outcome = await service.turn(session_id, "and a small fries")
        assert outcome.turn.notices == ("the hamburger is no longer on the menu, so I took it off",)
        assert outcome.turn.reply.startswith("The hamburger is no longer on the menu")
        assert [line.item for line in outcome.record.order.lines] == ["cheeseburger", "fries"]
        again = await service.turn(session_id, "that's it")
        assert not again.turn.notices  # the record now carries the new fingerprint
        with pytest.raises(SessionNotFoundError):
            await service.turn("f" * 32, "hello")
        with pytest.raises(SessionNotFoundError):
            await service.get(session_id, store_id="pizza")
        await opened.aclose()

    asyncio.run(after())


def test_admission_refuses_new_sessions_only() -> None:
    live = LiveSessions(limit=2, idle_s=60)
    live.admit("a")
    live.admit("b")
    with pytest.raises(WorkerFullError):
        live.admit("c")
    live.touch("a")  # a live session is never refused
    live.end("b")
    live.admit("c")
    assert len(live) == 2


def test_idle_sessions_age_out() -> None:
    live = LiveSessions(limit=1, idle_s=0.0)
    live.admit("a")
    live.admit("b")  # "a" idled out
    assert len(live) <= 1


def test_saturated_models_shed_new_sessions_and_turns_still_answer(tmp_path: Path) -> None:
    settings = _setup(tmp_path, ROOT / "menus" / "burger.yaml")
    settings = settings.model_copy(update={"model_workers": 1, "max_model_queue": 1})

    async def main() -> None:
        opened = open_storage(settings)
        engine = Engine.build(settings)
        metrics = Metrics()
        service = Conversations(engine, opened.storage, metrics)
        live = await service.start("burger")
        gate = threading.Event()
        busy = [engine.pool.submit(gate.wait) for _ in range(3)]  # one running, two waiting
        try:
            assert engine.model_queue() == 2
            with pytest.raises(WorkerFullError, match="saturated"):
                await service.start("burger")
            outcome = await service.turn(live.session_id, "a cheeseburger")  # a live session is never shed
            assert [line.item for line in outcome.record.order.lines] == ["cheeseburger"]
        finally:
            gate.set()
        for future in busy:
            future.result()
        assert engine.model_queue() == 0
        await service.start("burger")  # admitted again once the queue drains
        await opened.aclose()

    asyncio.run(main())
