"""The phone line on Twilio: the TwiML webhook that answers a call, and the media-stream websocket.

``POST /v1/phone/twilio/voice?store=ID`` checks ``X-Twilio-Signature`` with the store's auth token and answers
``<Connect><Stream>`` with a short-lived signed token as a ``<Parameter>``. ``/v1/phone/twilio`` accepts the
stream only with a valid token, then runs the call: caller audio to the voice runner, replies back as µ-law
media with a mark per sentence, ``clear`` on barge-in, DTMF 0 (or asking for a person) transfers the call.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl

import httpx
import structlog
from fastapi import APIRouter, Query, Request, Response, WebSocket, WebSocketDisconnect

from orderline.api import tokens
from orderline.api.deps import Services
from orderline.api.errors import ApiError
from orderline.api.schemas import ErrorBody
from orderline.dialog.record import Channel
from orderline.engine.conversations import WorkerFullError
from orderline.engine.engine import UnknownStoreError
from orderline.engine.stores import PhoneConfig
from orderline.transports import twilio
from orderline.transports.phone import PhoneIn, PhoneOut, transfer
from orderline.transports.runner import RunnerConfig, VoiceRunner

router = APIRouter(tags=["phone"])
log = structlog.get_logger("orderline.api.phone")

HANDOFF_DIGIT = "0"


def _phone(services: Services, store: str) -> PhoneConfig:
    try:
        config = services.engine.store(store).phone
    except UnknownStoreError:
        raise ApiError(404, "unknown_store", f"no store {store!r}") from None
    if config is None or config.auth_token() is None:
        raise ApiError(404, "no_phone_line", f"store {store!r} has no Twilio line configured")
    return config


@router.post(
    "/v1/phone/twilio/voice",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "TwiML: <Connect><Stream> with a token."},
        403: {"model": ErrorBody, "description": "X-Twilio-Signature does not match."},
        404: {"model": ErrorBody, "description": "Unknown store, or no phone line configured for it."},
        422: {"model": ErrorBody, "description": "Not a valid webhook request."},
    },
    summary="TwiML webhook: answer a call with a media stream",
)
async def twilio_voice(
    request: Request, store: str = Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
) -> Response:
    """Called by Twilio when the store's number rings (configure it as the number's voice webhook)."""
    services: Services = request.app.state.services
    config = _phone(services, store)
    body = (await request.body()).decode("utf-8", errors="replace")
    params = dict(parse_qsl(body, keep_blank_values=True))
    url = str(request.url)
    given = request.headers.get("x-twilio-signature", "")
    token = config.auth_token() or ""
    if not given or not twilio.valid_signature(token, url, params, given):
        raise ApiError(403, "bad_signature", "X-Twilio-Signature does not match this request")
    call_sid = params.get("CallSid", "")
    if not call_sid:
        raise ApiError(422, "no_call_sid", "the webhook needs a CallSid")
    secret = services.engine.settings.secret_key.get_secret_value()
    stream_url = url.split("?")[0].replace("http", "ws", 1).removesuffix("/voice")
    grant = tokens.issue(secret, store, call_sid)
    xml = twilio.connect_stream(stream_url, {"token": grant, "store": store})
    return Response(xml, media_type="application/xml")


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    log.info("phone_refused", code=code, reason=reason)
    with contextlib.suppress(Exception):
        await ws.close(code, reason[:120])


@router.websocket("/v1/phone/twilio")
async def twilio_stream(ws: WebSocket) -> None:
    """One call's media stream (Twilio is the client)."""
    await ws.accept()
    services: Services = ws.app.state.services
    secret = services.engine.settings.secret_key.get_secret_value()
    runner: VoiceRunner | None = None
    start: twilio.Start | None = None
    inbound = PhoneIn()
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            try:
                event = twilio.parse(
                    message["bytes"] if message.get("bytes") is not None else message.get("text") or ""
                )
            except twilio.TwilioWireError as exc:
                await _close(ws, exc.close_code, str(exc))
                return
            if isinstance(event, twilio.Connected):
                continue
            if isinstance(event, twilio.Start):
                if start is not None:
                    await _close(ws, 1008, "a second start on one stream")
                    return
                try:
                    grant = tokens.verify(secret, event.parameters.get("token"))
                except tokens.TokenError as exc:
                    await _close(ws, 4401, str(exc))
                    return
                if grant.call_sid != event.call_sid:
                    await _close(ws, 4403, "the stream token belongs to another call")
                    return
                if (
                    event.encoding != twilio.ENCODING
                    or event.sample_rate != twilio.RATE
                    or event.channels != 1
                ):
                    await _close(ws, 1003, f"expected {twilio.ENCODING} {twilio.RATE} Hz mono")
                    return
                start = event
                runner = await _start_call(ws, services, grant.store, event)
                if runner is None:
                    return
                services.streams.add(runner.record.session_id, runner)
                continue
            if start is None or runner is None:
                await _close(ws, 1008, f"{type(event).__name__.lower()} before start")
                return
            if event.stream_sid != start.stream_sid:
                await _close(ws, 1008, "streamSid does not match this stream")
                return
            if isinstance(event, twilio.Media):
                await runner.feed(inbound.decode(event.payload))
            elif isinstance(event, twilio.Mark):
                runner.played(event.name)
            elif isinstance(event, twilio.Dtmf):
                if event.digit == HANDOFF_DIGIT:
                    await runner.handoff("the caller pressed 0", "[keypad 0]")
            elif isinstance(event, twilio.Stop):
                break
    except WebSocketDisconnect:
        pass
    finally:
        if runner is not None:
            services.streams.remove(runner.record.session_id)
            await runner.close()
        with contextlib.suppress(Exception):
            await ws.close(1000)


SHED_APOLOGY = "Sorry, all our lines are busy right now. Connecting you to the restaurant."


async def _start_call(
    ws: WebSocket, services: Services, store: str, start: twilio.Start
) -> VoiceRunner | None:
    config = services.engine.store(store).phone
    try:
        record = await services.conversations.start(store, Channel.PHONE)
    except WorkerFullError as exc:
        log.warning("call_shed", store=store, call=start.call_sid, reason=str(exc))
        if config is not None:  # the caller hears a short apology (Twilio says it) and goes to the store
            try:
                await transfer(config, start.call_sid, say=SHED_APOLOGY)
            except (httpx.HTTPError, RuntimeError) as error:
                log.error("transfer_failed", call=start.call_sid, error=str(error))
        await _close(ws, 1013, "the worker is full")
        return None
    transferred = False

    async def on_event(kind: str, data: dict[str, object]) -> None:
        nonlocal transferred
        if kind == "handoff" and config is not None and not transferred:
            transferred = True
            try:
                await transfer(config, start.call_sid)
            except (httpx.HTTPError, RuntimeError) as exc:  # the call stays with the engine; crew is alerted
                log.error("transfer_failed", call=start.call_sid, error=str(exc))

    out = PhoneOut(ws, start.stream_sid, on_event)
    runner = VoiceRunner(services.engine, services.conversations, record, out, RunnerConfig(frame_ms=20))
    log.info("call_started", store=store, call=start.call_sid, session=record.session_id)
    await runner.greet()
    return runner
