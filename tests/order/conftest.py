"""Fixtures for the order tests: play a list of commands, and menus with items 86'd."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orderline.core.commands import Command
from orderline.core.events import Event
from orderline.menu.schema import Menu
from orderline.order.machine import new_order, transition
from orderline.order.state import Order

Played = tuple[Order, tuple[Event, ...]]
Play = Callable[..., Played]

SOLD_OUT = frozenset({"coke", "onion_rings", "bacon", "jalapenos", "hash_browns"})
"""Burger items and options 86'd in ``burger_86``."""


@pytest.fixture(scope="session")
def burger_86(burger: Menu) -> Menu:
    """The burger menu with Coke, onion rings, bacon, jalapenos and hash browns 86'd."""
    return burger.with_availability(set(SOLD_OUT))


def play_commands(
    menu: Menu, *commands: Command, order: Order | None = None, daypart: str | None = None
) -> Played:
    """Apply ``commands`` in turn to ``order`` (a new one by default); the last order and its events."""
    current = order if order is not None else new_order(daypart=daypart)
    events: tuple[Event, ...] = ()
    for command in commands:
        current, events = transition(current, command, menu)
    return current, events


@pytest.fixture(scope="session")
def play() -> Play:
    return play_commands
