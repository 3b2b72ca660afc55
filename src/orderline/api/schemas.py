"""Request and response bodies, one model per direction, with examples for the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orderline.core.provenance import Provenance
from orderline.dialog.record import Channel, ConversationRecord, StageTimings, TurnRecord
from orderline.menu.schema import Menu
from orderline.nlu.coverage import SlmCall
from orderline.order.state import DialogState
from orderline.order.ticket import Ticket
from orderline.storage.base import SubmittedOrder


class ErrorDetail(BaseModel):
    code: str = Field(examples=["unknown_session"])
    message: str = Field(examples=["no live session with id 0123abcd"])
    errors: list[dict[str, Any]] | None = Field(None, description="Field-level problems (validation errors).")


class ErrorBody(BaseModel):
    """Every error response: a stable code and a sentence for people."""

    error: ErrorDetail


# -- sessions


class SessionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"channel": "text"}, {"channel": "text", "daypart": "breakfast"}]},
    )

    channel: Channel = Channel.TEXT
    daypart: str | None = Field(
        None,
        max_length=40,
        description="Order in this daypart instead of the store's clock (e.g. breakfast).",
    )


class TurnCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": "two cheeseburgers, one with no onions"}]}
    )

    text: str = Field(
        min_length=1, description="What the customer said (at most the server's max_text_chars)."
    )


class CommandPublic(BaseModel):
    kind: str = Field(examples=["add"])
    detail: dict[str, Any] = Field(description="The command's fields (item, quantity, modifiers ...).")
    provenance: Provenance


class TurnPublic(BaseModel):
    n: int
    at: datetime
    text: str
    reply: str
    state: DialogState
    commands: list[CommandPublic]
    events: list[dict[str, Any]]
    slm_calls: list[SlmCall]
    timings: StageTimings
    notices: list[str]
    said: list[str] | None = Field(
        None, description="Spoken turns cut off by a barge-in: the reply sentences the customer heard."
    )

    @classmethod
    def of(cls, turn: TurnRecord) -> TurnPublic:
        return cls(
            n=turn.n,
            at=turn.at,
            text=turn.text,
            reply=turn.reply,
            state=turn.state,
            commands=[
                CommandPublic(
                    kind=c.kind,
                    detail=c.model_dump(mode="json", exclude={"kind", "provenance"}),
                    provenance=c.provenance,
                )
                for c in turn.commands
            ],
            events=[e.model_dump(mode="json") for e in turn.events],
            slm_calls=list(turn.slm_calls),
            timings=turn.timings,
            notices=list(turn.notices),
            said=list(turn.said) if turn.said is not None else None,
        )


class SessionPublic(BaseModel):
    session_id: str = Field(examples=["5f0c2b6e9a7d4c1e8b3a2f1d0e9c8b7a"])
    store: str = Field(examples=["burger"])
    channel: Channel
    state: DialogState
    greeting: str = Field(examples=["Welcome to Burger Barn! What can I get for you?"])
    order: Ticket
    turn_count: int
    turns: list[TurnPublic] = Field(description="The most recent turns (the log is bounded).")
    held_by: str | None = Field(
        None,
        description="The crew member who has taken the conversation over; turns are refused (409) meanwhile.",
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ConversationRecord, order: Ticket, greeting: str) -> SessionPublic:
        return cls(
            session_id=record.session_id,
            store=record.store,
            channel=record.channel,
            state=record.order.state,
            greeting=greeting,
            order=order,
            turn_count=record.turn_count,
            turns=[TurnPublic.of(t) for t in record.turns],
            held_by=record.held_by,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class Submission(BaseModel):
    entry_id: str = Field(
        description="The order's entry on the store's Redis stream.", examples=["1733090000000-0"]
    )
    duplicate: bool = Field(description="True when this order was already on the stream (a replayed submit).")


class TurnResult(BaseModel):
    """The reply to say, the order with prices, and how the turn was understood."""

    session_id: str
    reply: str = Field(examples=["Okay, two Cheeseburgers, one with no onions. Anything else?"])
    state: DialogState
    order: Ticket
    turn: TurnPublic
    submitted: Submission | None = None
    replayed: bool = Field(
        False, description="The Idempotency-Key was seen before: the stored turn, not re-run."
    )


# -- stores


class OrdersPublic(BaseModel):
    store: str
    orders: list[SubmittedOrder] = Field(description="Submitted orders, newest first.")


class OptionPublic(BaseModel):
    id: str
    name: str
    price_cents: int
    default: bool
    available: bool


class GroupPublic(BaseModel):
    id: str
    name: str
    min: int
    max: int
    options: list[OptionPublic]


class ItemPublic(BaseModel):
    id: str
    name: str
    category: str
    price_cents: int
    sizes: dict[str, int] = Field(description="Size id -> price in cents.")
    modifier_groups: list[str]
    combo: bool
    available: bool
    dayparts: list[str]


class MenuPublic(BaseModel):
    store: str
    menu_id: str
    name: str
    currency: str
    tax_rate: float
    fingerprint: str
    items: list[ItemPublic]
    modifier_groups: list[GroupPublic]
    unavailable: list[str] = Field(description="Item and option ids marked out of stock (86) at this store.")

    @classmethod
    def of(cls, store: str, menu: Menu, fingerprint: str, unavailable: frozenset[str]) -> MenuPublic:
        return cls(
            store=store,
            menu_id=menu.id,
            name=menu.name,
            currency=menu.currency,
            tax_rate=menu.tax_rate,
            fingerprint=fingerprint,
            items=[
                ItemPublic(
                    id=i.id,
                    name=i.name,
                    category=i.category,
                    price_cents=i.price,
                    sizes=dict(i.sizes),
                    modifier_groups=list(i.modifier_groups),
                    combo=i.is_combo,
                    available=i.available,
                    dayparts=list(i.dayparts),
                )
                for i in menu.items
            ],
            modifier_groups=[
                GroupPublic(
                    id=g.id,
                    name=g.name,
                    min=g.min,
                    max=g.max,
                    options=[
                        OptionPublic(
                            id=o.id,
                            name=o.name,
                            price_cents=o.price,
                            default=o.default,
                            available=o.available,
                        )
                        for o in g.options
                    ],
                )
                for g in menu.modifier_groups
            ],
            unavailable=sorted(unavailable),
        )


class AvailabilityUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"unavailable": ["bacon_cheeseburger"], "available": []}]},
    )

    unavailable: list[str] = Field(
        default_factory=list, max_length=500, description="Ids to mark out of stock."
    )
    available: list[str] = Field(default_factory=list, max_length=500, description="Ids back in stock.")


class AvailabilityPublic(BaseModel):
    store: str
    unavailable: list[str]


# -- health


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    status: Literal["ok", "degraded", "unavailable"]
    checks: dict[str, Any] = Field(
        description="models: loaded; redis: reachable; slm: off | ok | degraded with its recent latency."
    )
