"""Immutable order data. Every change produces a new :class:`Order`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from orderline.core.commands import Level
from orderline.core.provenance import Provenance


class DialogState(StrEnum):
    GREETING = "greeting"
    TAKING_ORDER = "taking_order"
    CLARIFYING = "clarifying"
    UPSELL = "upsell"
    READBACK = "readback"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
    HANDED_OFF = "handed_off"


TERMINAL_STATES = frozenset({DialogState.SUBMITTED, DialogState.CANCELLED, DialogState.HANDED_OFF})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModifierChoice(_Frozen):
    """A modifier on a line, resolved against the menu (group known)."""

    group: str
    option: str
    level: Level = Level.REGULAR
    negated: bool = False
    on_side: bool = False
    count: int = 1
    """How many of the option; priced per unit, at most the option's ``max_count``."""


class SlotFill(_Frozen):
    """What fills a combo slot; ``item`` is None while the customer has not chosen."""

    slot: str
    item: str | None = None
    size: str | None = None
    modifiers: tuple[ModifierChoice, ...] = ()


class OrderLine(_Frozen):
    """One line of the order. ``id`` is stable for the life of the order and never reused."""

    id: int
    item: str
    quantity: int = 1
    size: str | None = None
    modifiers: tuple[ModifierChoice, ...] = ()
    slots: tuple[SlotFill, ...] = ()
    provenance: tuple[Provenance, ...] = ()


class OpenQuestion(_Frozen):
    """Words the last reply asked about because no line took them.

    ``options`` are the option ids the words may mean ("no onions" -> onions) and ``lines`` the lines
    that could take them ("Should the Cheeseburger have no onions?"); words naming nothing on the menu
    have no options, and ``suggestions`` are the nearest items the menu has ("Sorry, we don't have
    garlic knots"). The answer ("yes", "the burger", "no thanks") is read against it on the next turn.
    """

    words: str
    options: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    suggestions: tuple[str, ...] = ()
    asks: bool = False
    """The reply put it as a question ("Would you like a Coke instead?"), so "yes" or "no" answers it."""


class Order(_Frozen):
    """The whole order and where the dialog stands."""

    id: str = ""
    lines: tuple[OrderLine, ...] = ()
    state: DialogState = DialogState.GREETING
    next_line_id: int = 1
    daypart: str | None = None
    upsell_offered: bool = False
    offered_item: str | None = None
    failed_turns: int = 0
    review: bool = False
    """The upsell or the readback was reached: a change that leaves nothing to ask reads back again."""
    repeats: int = 0
    """How often the pending question met "that's all" or "yes" instead of an answer."""
    asked: tuple[OpenQuestion, ...] = ()
    """What the last turn asked about that no line took; gone after the next command."""
    undo_stack: tuple[tuple[OrderLine, ...], ...] = Field(default=(), repr=False)

    def line(self, line_id: int) -> OrderLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

    @property
    def last_line(self) -> OrderLine | None:
        return self.lines[-1] if self.lines else None

    @property
    def is_closed(self) -> bool:
        return self.state in TERMINAL_STATES
