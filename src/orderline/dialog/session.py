"""A text conversation: each turn runs understanding, the state machine and the reply planner."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from orderline.core.commands import Command, Unplaced
from orderline.core.events import Event
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.coverage import Understanding
from orderline.order.machine import new_order, transition
from orderline.order.replies import greeting, plan_reply
from orderline.order.state import Order


@dataclass(frozen=True, slots=True)
class Turn:
    """Everything one turn produced, with per-stage timings in milliseconds."""

    text: str
    understanding: Understanding
    events: tuple[Event, ...]
    reply: str
    order: Order
    timings_ms: dict[str, float]


@dataclass(slots=True)
class TextSession:
    """One conversation over text. ``await TextSession(menu, RuleMatcher(menu)).say("a coke")``."""

    menu: Menu
    understander: Understander
    order: Order = field(default_factory=lambda: new_order(uuid.uuid4().hex))
    history: list[Turn] = field(default_factory=list)

    @classmethod
    def start(cls, menu: Menu, understander: Understander, daypart: str | None = None) -> TextSession:
        return cls(menu=menu, understander=understander, order=new_order(uuid.uuid4().hex, daypart))

    def greeting(self) -> str:
        """The menu's greeting; for a resumed conversation with an order on it, where the order stands."""
        return greeting(self.order, self.menu)

    async def say(self, text: str) -> Turn:
        """Process one customer utterance and return the turn (reply included)."""
        return self.commit(await self.plan(text))

    async def plan(self, text: str) -> Turn:
        """The turn ``text`` would make, without changing the session (see :meth:`commit`)."""
        t0 = time.perf_counter()
        understanding = await self.understander.understand_async(text, self.order)
        t1 = time.perf_counter()
        return self.outcome(text, understanding, (t1 - t0) * 1000)

    def outcome(self, text: str, understanding: Understanding, nlu_ms: float) -> Turn:
        """The turn that acting on ``understanding`` would make, without changing the session."""
        t1 = time.perf_counter()
        before = self.order
        order, events = self.run(understanding.commands)
        t2 = time.perf_counter()
        reply = plan_reply(before, order, events, self.menu)
        t3 = time.perf_counter()
        timings = {"nlu": nlu_ms, "order": (t2 - t1) * 1000, "reply": (t3 - t2) * 1000}
        return Turn(text, understanding, events, reply, order, timings)

    def commit(self, turn: Turn) -> Turn:
        """Make a planned turn happen: its order becomes the session's and it joins the history."""
        self.order = turn.order
        self.history.append(turn)
        return turn

    def run(self, commands: tuple[Command, ...]) -> tuple[Order, tuple[Event, ...]]:
        """The order and events the commands would give from the current order (pure)."""
        events: list[Event] = []
        order = self.order
        if commands and isinstance(commands[0], Unplaced) and order.asked:
            # last turn's question was read by understanding; this turn asks its own
            order = order.model_copy(update={"asked": ()})
        for command in commands:
            order, new_events = transition(order, command, self.menu)
            events.extend(new_events)
        return order, tuple(events)

    def apply(self, commands: tuple[Command, ...]) -> tuple[Order, tuple[Event, ...]]:
        """Apply commands in order; the session's order is replaced only by the machine's result."""
        order, events = self.run(commands)
        self.order = order
        return order, events
