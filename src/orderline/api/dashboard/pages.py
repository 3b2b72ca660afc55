"""Dashboard pages (GET): sign-in, live view, one live card, the order queue and detail, availability,
metrics; and the server-sent event stream that keeps open pages current."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sse_starlette.sse import EventSourceResponse

from orderline.api.dashboard import login, metrics_view, views
from orderline.api.dashboard.common import back, page, secret, services, signed_in
from orderline.dialog.record import ConversationRecord
from orderline.storage.base import OrderMark, OrderStatus
from orderline.storage.keys import Role

router = APIRouter(include_in_schema=False)
QUEUE_SIZE = 60


@router.get("/dashboard")
async def home(request: Request) -> Response:
    user = login.unsign(secret(request), request.cookies.get(login.COOKIE))
    return back(f"/dashboard/{user.store}/live" if user else "/dashboard/login")


@router.get("/dashboard/login", response_class=HTMLResponse)
async def login_form(
    request: Request, store: str = "", next: Annotated[str, Query(alias="next")] = "", error: str = ""
) -> Response:
    nonce = secrets.token_urlsafe(16)
    stores = [(s.id, s.name) for s in services(request).engine.stores.values()]
    response = page(
        request,
        "login.html",
        None,
        stores=stores,
        chosen=store,
        next=next if next.startswith("/dashboard/") else "",
        login_csrf=login.login_token(secret(request), nonce),
        error=error,
        status=401 if error else 200,
    )
    login.set_login_nonce(response, request, nonce)
    return response


async def _records(request: Request, store: str) -> list[ConversationRecord]:
    svc = services(request)
    since = time.time() - svc.engine.settings.session_idle_s
    ids = await svc.storage.live(store, since)
    loaded = await asyncio.gather(*(svc.storage.load_record(i) for i in ids))
    return [r for r in loaded if r is not None and r.store == store]


@router.get("/dashboard/{store}/live", response_class=HTMLResponse)
async def live(request: Request, store: str) -> Response:
    user = signed_in(request, store)
    menu = await _menu(request, store)
    cards = [views.card(r, menu) for r in await _records(request, store)]
    cards.sort(key=lambda c: (not c.needs_human, -c.updated))
    return page(request, "live.html", user, cards=cards, tab="live", silence_s=views.SILENCE_ALERT_S)


async def _menu(request: Request, store: str) -> Any:
    svc = services(request)
    return svc.engine.live_menu(store, await svc.storage.unavailable(store))


@router.get("/dashboard/{store}/live/{session_id}", response_class=HTMLResponse)
async def live_card(request: Request, store: str, session_id: str) -> Response:
    user = signed_in(request, store)
    record = await services(request).storage.load_record(session_id)
    if record is None or record.store != store:
        return HTMLResponse("", status_code=404)
    menu = await _menu(request, store)
    return page(request, "_card.html", user, c=views.card(record, menu), silence_s=views.SILENCE_ALERT_S)


@router.get("/dashboard/{store}/events")
async def events(request: Request, store: str) -> EventSourceResponse:
    """Live updates for open pages: every worker's turns, takeovers and order marks (Redis pub/sub)."""
    signed_in(request, store)
    storage = services(request).storage

    async def stream() -> AsyncIterator[dict[str, str]]:
        yield {"event": "hello", "data": json.dumps({"store": store})}
        async for message in storage.listen(f"events:{store}"):
            yield {"event": str(message.get("type", "update")), "data": json.dumps(message)}

    return EventSourceResponse(stream(), ping=15)


async def _queue(request: Request, store: str) -> dict[str, Any]:
    storage = services(request).storage
    orders = await storage.orders(store, QUEUE_SIZE)
    marks = await storage.order_marks(store)
    waiting = [
        o for o in orders if marks.get(o.order_id, OrderMark(order_id=o.order_id)).status is OrderStatus.NEW
    ]
    ready = [o for o in orders if o.order_id in marks and marks[o.order_id].status is OrderStatus.READY]
    return {"waiting": list(reversed(waiting)), "ready": ready[:12], "marks": marks}


@router.get("/dashboard/{store}/orders", response_class=HTMLResponse)
async def orders(request: Request, store: str) -> Response:
    user = signed_in(request, store)
    return page(request, "orders.html", user, tab="orders", **await _queue(request, store))


@router.get("/dashboard/{store}/orders/queue", response_class=HTMLResponse)
async def orders_queue(request: Request, store: str) -> Response:
    user = signed_in(request, store)
    return page(request, "_queue.html", user, **await _queue(request, store))


@router.get("/dashboard/{store}/orders/{order_id}", response_class=HTMLResponse)
async def order_detail(request: Request, store: str, order_id: str) -> Response:
    user = signed_in(request, store)
    storage = services(request).storage
    order = await storage.order(store, order_id)
    if order is None:
        return page(request, "error.html", user, title="No such order", message=order_id, status=404)
    record = await storage.archived(order.session_id) or await storage.load_record(order.session_id)
    marks = await storage.order_marks(store)
    return page(
        request,
        "order.html",
        user,
        tab="orders",
        order=order,
        record=record,
        mark=marks.get(order_id),
        words=views.provenance_words,
        turn_ms=(lambda t: views.turn_ms(record, t)) if record else None,
    )


@router.get("/dashboard/{store}/availability", response_class=HTMLResponse)
async def availability(request: Request, store: str) -> Response:
    user = signed_in(request, store)
    svc = services(request)
    menu = svc.engine.store_menu(store).menu
    off = await svc.storage.unavailable(store)
    return page(
        request,
        "availability.html",
        user,
        tab="availability",
        menu=menu,
        off=off,
        can_edit=user.can(Role.MANAGER),
    )


@router.get("/dashboard/{store}/metrics", response_class=HTMLResponse)
async def metrics(request: Request, store: str) -> Response:
    user = signed_in(request, store)
    storage = services(request).storage
    now = time.time()
    stats = await storage.stats(store, now - 86400)
    orders = await storage.orders(store, 5000)
    return page(request, "metrics.html", user, tab="metrics", **metrics_view.build(stats, orders, now))
