"""The understanding Protocol every tier (rules, SLM, hybrid) implements."""

from __future__ import annotations

from typing import Protocol

from orderline.nlu.coverage import Understanding
from orderline.order.state import Order


class Understander(Protocol):
    """Turns one utterance into proposed commands, given the order so far (read-only).

    It is asynchronous because the SLM tier waits on a model (a worker thread or an HTTP server); the
    deterministic tier answers at once. Callers own the event loop: the server's, or ``asyncio.run`` in a
    command-line tool. No implementation runs a loop of its own.
    """

    name: str

    async def understand_async(self, text: str, order: Order) -> Understanding: ...

    async def aclose(self) -> None:
        """Release what the understander holds (model clients); safe to call twice."""
        ...
