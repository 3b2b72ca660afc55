"""Run the asynchronous understander from synchronous code that owns no event loop.

The synchronous :class:`~orderline.dialog.voice.VoiceSession` (command-line voice runs and benchmarks) waits
for understanding in the caller's own thread: ``asyncio.run`` for the one call, no loop thread kept behind
it. Inside a running loop (the server) this refuses, because blocking there would stall every session: use
the asynchronous API instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion in this thread.

    Raises:
        RuntimeError: called from inside a running event loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError("run_blocking() inside a running event loop: await the coroutine instead")
