"""Text conversations: open a session at a store, send what the customer said, read the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, status

from orderline.api.auth import require_store
from orderline.api.deps import CallerDep, ConversationsDep, EngineDep
from orderline.api.errors import ApiError, responses
from orderline.api.schemas import SessionCreate, SessionPublic, Submission, TurnCreate, TurnPublic, TurnResult
from orderline.dialog.record import ConversationRecord
from orderline.engine.engine import Engine
from orderline.order.ticket import ticket

router = APIRouter(tags=["sessions"])

SessionId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{32}$", description="From POST /v1/stores/{store}/sessions.")
]
StoreId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", examples=["burger"])]


def _public(record: ConversationRecord, engine: Engine) -> SessionPublic:
    menu = engine.store_menu(record.store).menu
    return SessionPublic.of(record, ticket(record.order, menu), menu.greeting)


@router.post(
    "/v1/stores/{store}/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionPublic,
    responses=responses(404, 503),
    summary="Open a conversation",
)
async def create_session(
    store: StoreId, body: SessionCreate, caller: CallerDep, engine: EngineDep, conversations: ConversationsDep
) -> SessionPublic:
    """Start a conversation at ``store``; say the ``greeting``, then send the customer's words as turns."""
    require_store(store, caller, engine)
    menu = engine.store_menu(store).menu
    if body.daypart is not None and body.daypart not in {d.id for d in menu.dayparts}:
        known = ", ".join(d.id for d in menu.dayparts) or "none"
        raise ApiError(
            422, "unknown_daypart", f"daypart {body.daypart!r} is not on this menu (known: {known})"
        )
    record = await conversations.start(store, body.channel, body.daypart)
    return _public(record, engine)


@router.post(
    "/v1/sessions/{session_id}/turns",
    response_model=TurnResult,
    responses=responses(404, 409, 503),
    summary="Send what the customer said",
)
async def take_turn(
    session_id: SessionId,
    body: TurnCreate,
    caller: CallerDep,
    engine: EngineDep,
    conversations: ConversationsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=100,
            description="Send the same key when retrying a turn: the stored result comes back, nothing runs twice.",
        ),
    ] = None,
) -> TurnResult:
    """Understand one utterance, update the order, and return the reply with the priced order.

    The turn that confirms the readback submits the order to the store's stream (exactly once).
    """
    limit = engine.settings.max_text_chars
    if len(body.text) > limit:
        raise ApiError(422, "text_too_long", f"text is {len(body.text)} characters; at most {limit}")
    outcome = await conversations.turn(
        session_id, body.text, store_id=caller.store, idempotency_key=idempotency_key
    )
    menu = engine.store_menu(outcome.record.store).menu
    submitted = outcome.submitted
    return TurnResult(
        session_id=session_id,
        reply=outcome.turn.reply,
        state=outcome.record.order.state,
        order=ticket(outcome.record.order, menu),
        turn=TurnPublic.of(outcome.turn),
        submitted=Submission(entry_id=submitted.entry_id, duplicate=submitted.duplicate)
        if submitted
        else None,
        replayed=outcome.replayed,
    )


@router.get(
    "/v1/sessions/{session_id}",
    response_model=SessionPublic,
    responses=responses(404, 503),
    summary="Read a conversation",
)
async def get_session(
    session_id: SessionId, caller: CallerDep, engine: EngineDep, conversations: ConversationsDep
) -> SessionPublic:
    """The session's order with prices, dialog state and its recent turns with provenance."""
    record = await conversations.get(session_id, caller.store)
    return _public(record, engine)
