"""The understanding Protocol every tier (rules, SLM, hybrid) implements."""

from __future__ import annotations

from typing import Protocol

from orderline.nlu.coverage import Understanding
from orderline.order.state import Order


class Understander(Protocol):
    """Turns one utterance into proposed commands, given the order so far (read-only)."""

    name: str

    def understand(self, text: str, order: Order) -> Understanding: ...
