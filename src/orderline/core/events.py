"""Events returned by the order state machine. The reply planner and the dashboard read them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class RejectReason(StrEnum):
    UNKNOWN_ITEM = "unknown_item"
    UNAVAILABLE = "unavailable"
    NOT_IN_DAYPART = "not_in_daypart"
    UNKNOWN_LINE = "unknown_line"
    UNKNOWN_SIZE = "unknown_size"
    UNKNOWN_OPTION = "unknown_option"
    TOO_MANY_CHOICES = "too_many_choices"
    QUANTITY_CAP = "quantity_cap"
    LINE_CAP = "line_cap"
    UNKNOWN_SLOT = "unknown_slot"
    NOTHING_TO_UNDO = "nothing_to_undo"
    EMPTY_ORDER = "empty_order"
    ORDER_CLOSED = "order_closed"
    NOT_UNDERSTOOD = "not_understood"
    NOT_APPLICABLE = "not_applicable"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LineAdded(_Event):
    kind: Literal["line_added"] = "line_added"
    line: int


class LineRemoved(_Event):
    kind: Literal["line_removed"] = "line_removed"
    line: int
    name: str


class LineChanged(_Event):
    kind: Literal["line_changed"] = "line_changed"
    line: int
    what: str


class Rejected(_Event):
    kind: Literal["rejected"] = "rejected"
    reason: RejectReason
    detail: str = ""


class ClarificationNeeded(_Event):
    """A required choice is missing (size, a combo slot, a required modifier group)."""

    kind: Literal["clarification_needed"] = "clarification_needed"
    line: int
    choice: Literal["size", "slot", "group"]
    target: str
    options: tuple[str, ...]


class UpsellOffered(_Event):
    kind: Literal["upsell_offered"] = "upsell_offered"
    item: str
    prompt: str


class ReadbackRequested(_Event):
    kind: Literal["readback_requested"] = "readback_requested"


class OrderSubmitted(_Event):
    kind: Literal["order_submitted"] = "order_submitted"
    total_cents: int


class OrderCancelled(_Event):
    kind: Literal["order_cancelled"] = "order_cancelled"


class HandedOff(_Event):
    kind: Literal["handed_off"] = "handed_off"
    reason: str


class Undone(_Event):
    kind: Literal["undone"] = "undone"


class Cleared(_Event):
    kind: Literal["cleared"] = "cleared"


class ChangeRequested(_Event):
    """The customer said the readback was wrong; the engine asks what to change."""

    kind: Literal["change_requested"] = "change_requested"


class QuestionRepeated(_Event):
    """ "That's all" or "yes" while a required choice is pending: ask again and say the way out."""

    kind: Literal["question_repeated"] = "question_repeated"
    line: int


class ModifierUnplaced(_Event):
    """Modifier words that no line took; ``lines`` are the lines that could take them."""

    kind: Literal["modifier_unplaced"] = "modifier_unplaced"
    words: str
    lines: tuple[int, ...] = ()


class NotUnderstood(_Event):
    kind: Literal["not_understood"] = "not_understood"
    text: str = ""


Event = Annotated[
    LineAdded
    | LineRemoved
    | LineChanged
    | Rejected
    | ClarificationNeeded
    | UpsellOffered
    | ReadbackRequested
    | OrderSubmitted
    | OrderCancelled
    | HandedOff
    | Undone
    | Cleared
    | ChangeRequested
    | QuestionRepeated
    | ModifierUnplaced
    | NotUnderstood,
    Field(discriminator="kind"),
]
