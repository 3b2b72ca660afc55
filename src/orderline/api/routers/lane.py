"""The drive-thru lane websocket: ``/v1/stores/{store}/lanes/{lane}/stream`` (protocol in docs/protocols.md)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from orderline.api.auth import Principal, verify_key
from orderline.api.deps import Services
from orderline.api.errors import ApiError
from orderline.dialog.record import Channel, ConversationRecord
from orderline.engine.conversations import WorkerFullError
from orderline.engine.engine import UnknownStoreError
from orderline.storage.keys import Role
from orderline.transports import lane as wire
from orderline.transports.runner import VoiceRunner

router = APIRouter()
log = structlog.get_logger("orderline.api.lane")

HELLO_TIMEOUT_S = 10.0


async def _refuse(ws: WebSocket, code: str, message: str, close_code: int) -> None:
    with contextlib.suppress(Exception):
        await ws.send_json({"type": "error", "code": code, "message": message})
        await ws.close(close_code, message[:120])


async def _admit(
    ws: WebSocket, services: Services, store: str, hello: wire.Hello
) -> tuple[Principal, ConversationRecord]:
    header = ws.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else hello.key
    if not token:
        raise ApiError(401, "missing_key", "send the key in the hello message or an Authorization header")
    principal = await verify_key(services, token)
    services.engine.store(store)
    if principal.store != store:
        raise ApiError(403, "forbidden_store", f"this key belongs to store {principal.store!r}")
    conversations = services.conversations
    if hello.session_id is not None:
        record = await conversations.get(hello.session_id, store)
        return principal, record
    return principal, await conversations.start(store, Channel.LANE)


_CLOSE_FOR_STATUS = {
    401: wire.CLOSE_UNAUTHORIZED,
    403: wire.CLOSE_FORBIDDEN,
    404: wire.CLOSE_NOT_FOUND,
    429: wire.CLOSE_TRY_LATER,
}


@router.websocket("/v1/stores/{store}/lanes/{lane}/stream")
async def lane_stream(ws: WebSocket, store: str, lane: str) -> None:
    """One drive-thru lane: customer audio in, reply audio and events out."""
    await ws.accept()
    services: Services = ws.app.state.services
    try:
        hello = wire.parse_hello(await asyncio.wait_for(ws.receive_text(), HELLO_TIMEOUT_S))
        principal, record = await _admit(ws, services, store, hello)
    except TimeoutError:
        await _refuse(ws, "no_hello", "no hello message within 10 s", wire.CLOSE_POLICY)
        return
    except wire.LaneProtocolError as exc:
        await _refuse(ws, exc.code, exc.message, exc.close_code or wire.CLOSE_UNSUPPORTED)
        return
    except ApiError as exc:
        await _refuse(ws, exc.code, exc.message, _CLOSE_FOR_STATUS.get(exc.status, wire.CLOSE_POLICY))
        return
    except UnknownStoreError:
        await _refuse(ws, "unknown_store", f"no store {store!r}", wire.CLOSE_NOT_FOUND)
        return
    except LookupError:
        await _refuse(ws, "unknown_session", "no live session with that id", wire.CLOSE_NOT_FOUND)
        return
    except WorkerFullError as exc:
        await _refuse(ws, "worker_full", f"{exc}; try again shortly", wire.CLOSE_TRY_LATER)
        return
    except (WebSocketDisconnect, RuntimeError):
        return
    out = wire.LaneOut(ws)
    runner = VoiceRunner(services.engine, services.conversations, record, out)
    services.streams.add(record.session_id, runner)
    await out.event(
        "ready",
        {
            "session_id": record.session_id,
            "store": store,
            "lane": lane,
            "format": wire.FORMAT,
            "sample_rate": wire.RATE,
        },
    )
    log.info("lane_connected", store=store, lane=lane, session=record.session_id)
    try:
        await runner.greet()
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            try:
                if message.get("bytes") is not None:
                    await runner.feed(wire.decode_audio(message["bytes"]))
                elif message.get("text") is not None:
                    control = wire.parse_control(message["text"])
                    if control["type"] == "bye":
                        break
                    if not principal.role.allows(Role.CREW):
                        await out.event(
                            "error", {"code": "forbidden_role", "message": "takeover needs a crew key"}
                        )
                    elif control["type"] == "takeover":
                        await runner.takeover(principal.key_id)
                    else:
                        await runner.handback(principal.key_id)
            except wire.LaneProtocolError as exc:
                await out.event("error", {"code": exc.code, "message": exc.message})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        services.streams.remove(record.session_id)
        await runner.close()
        log.info("lane_closed", store=store, lane=lane, session=record.session_id)
        with contextlib.suppress(Exception):
            await ws.close(wire.CLOSE_NORMAL)
