"""The closed set of commands that understanding may propose to the order state machine.

Commands are plain immutable data. They name menu entities by id; the state machine validates
them against the menu and fails closed (a rejection event), it never guesses.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from orderline.core.provenance import RULE, Provenance


class Level(StrEnum):
    """How much of a modifier option the customer wants."""

    LIGHT = "light"
    REGULAR = "regular"
    EXTRA = "extra"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModifierSpec(_Frozen):
    """One modifier instruction: ``+pickle``, ``-onion``, ``~mayo=light``, ``sauce on the side``.

    ``negated`` means the customer does not want it ("no onions"); with ``level=extra`` it reads
    "no extra cheese".
    """

    option: str
    level: Level = Level.REGULAR
    negated: bool = False
    on_side: bool = False
    count: int = Field(default=1, ge=1)
    """How many of the option ("two pumps of vanilla", "three sugars")."""


class SlotSpec(_Frozen):
    """A combo slot filled with an item, e.g. the drink of a meal."""

    slot: str
    item: str
    size: str | None = None
    modifiers: tuple[ModifierSpec, ...] = ()


class _Command(_Frozen):
    provenance: Provenance = RULE


class AddItem(_Command):
    """Add a new line: an item or a combo, with quantity, size, modifiers and slot fills."""

    kind: Literal["add"] = "add"
    item: str
    quantity: int = Field(default=1, ge=1)
    size: str | None = None
    modifiers: tuple[ModifierSpec, ...] = ()
    slots: tuple[SlotSpec, ...] = ()


class RemoveLine(_Command):
    """Remove a line. ``line`` is a line id; ``None`` means the most recent line."""

    kind: Literal["remove"] = "remove"
    line: int | None = None


class ModifyLine(_Command):
    """Add, remove or change the level of modifiers on a line."""

    kind: Literal["modify"] = "modify"
    line: int | None = None
    modifiers: tuple[ModifierSpec, ...] = ()


class SetQuantity(_Command):
    kind: Literal["set_quantity"] = "set_quantity"
    line: int | None = None
    quantity: int = Field(ge=1)


class SetSize(_Command):
    kind: Literal["set_size"] = "set_size"
    line: int | None = None
    size: str


class FillSlot(_Command):
    """Choose the item for a combo slot of an existing line (answer to "which drink?")."""

    kind: Literal["fill_slot"] = "fill_slot"
    line: int | None = None
    slot: str | None = None
    item: str
    size: str | None = None


class ReplaceItem(_Command):
    """Swap the item on a line, keeping quantity (and size where the new item has it)."""

    kind: Literal["replace"] = "replace"
    line: int | None = None
    item: str
    size: str | None = None
    modifiers: tuple[ModifierSpec, ...] = ()


class Undo(_Command):
    kind: Literal["undo"] = "undo"


class ClearOrder(_Command):
    kind: Literal["clear"] = "clear"


class Done(_Command):
    """The customer has finished ordering ("that's it")."""

    kind: Literal["done"] = "done"


class Affirm(_Command):
    """Yes: accepts an upsell offer or confirms the readback."""

    kind: Literal["affirm"] = "affirm"


class Deny(_Command):
    """No: declines an upsell offer or rejects the readback."""

    kind: Literal["deny"] = "deny"


class Confirm(_Command):
    """Confirm the read-back order; submits it."""

    kind: Literal["confirm"] = "confirm"


class Cancel(_Command):
    kind: Literal["cancel"] = "cancel"


class Handoff(_Command):
    """Hand the conversation to a crew member."""

    kind: Literal["handoff"] = "handoff"
    reason: str = "customer asked for a person"


class Unplaced(_Command):
    """Modifier words understanding could not put on a line: the reply asks where they go.

    ``words`` is what the customer said ("no onions"); ``options`` the option ids it may mean.
    """

    kind: Literal["unplaced"] = "unplaced"
    words: str
    options: tuple[str, ...] = ()


class CannotHandle(_Command):
    """Understanding could not produce a valid command; the reply asks the customer to rephrase."""

    kind: Literal["cannot_handle"] = "cannot_handle"
    reason: str = "not understood"
    text: str = ""


Command = Annotated[
    AddItem
    | RemoveLine
    | ModifyLine
    | SetQuantity
    | SetSize
    | FillSlot
    | ReplaceItem
    | Undo
    | ClearOrder
    | Done
    | Affirm
    | Deny
    | Confirm
    | Cancel
    | Handoff
    | Unplaced
    | CannotHandle,
    Field(discriminator="kind"),
]
