"""The live streams (lanes, calls) this worker serves, and crew control from any worker.

The dashboard may run on another worker than the one holding a lane's socket, so a takeover is written to
the conversation record (which every worker reads) and announced on the ``control`` channel; the worker
that holds the stream tells its runner. If an announcement is lost (Redis restarted), the runner still
finds the hold on its next commit, which the record's version check refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import structlog

log = structlog.get_logger("orderline.transports.streams")


class Controllable(Protocol):
    async def held(self, who: str) -> None: ...

    async def released(self, who: str) -> None: ...


class LiveStreams:
    """session id -> the runner of its live stream on this worker."""

    def __init__(self) -> None:
        self._runners: dict[str, Controllable] = {}

    def add(self, session_id: str, runner: Controllable) -> None:
        self._runners[session_id] = runner

    def remove(self, session_id: str) -> None:
        self._runners.pop(session_id, None)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._runners

    def __len__(self) -> int:
        return len(self._runners)

    async def dispatch(self, message: dict[str, Any]) -> bool:
        """Apply one control message; True if a stream here took it."""
        runner = self._runners.get(str(message.get("session", "")))
        if runner is None:
            return False
        by = str(message.get("by", ""))
        if message.get("action") == "takeover":
            await runner.held(by)
        elif message.get("action") == "handback":
            await runner.released(by)
        else:
            return False
        return True


async def follow_control(
    listen: Callable[[], AsyncIterator[dict[str, Any]]], streams: LiveStreams, retry_s: float = 1.0
) -> None:
    """Apply control messages until cancelled; reconnects when Redis goes away."""
    lost = False
    while True:
        try:
            async for message in listen():
                if lost:
                    log.info("control_channel_back")
                    lost = False
                with contextlib.suppress(Exception):
                    await streams.dispatch(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis restarted or unreachable: keep trying, and say so once
            if not lost:
                log.warning("control_channel_lost", error=repr(exc))
            lost = True
        await asyncio.sleep(retry_s)
