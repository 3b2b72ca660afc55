"""Dashboard actions (POST, each with its CSRF token): sign in and out, take a conversation over and hand it
back, edit a held order, mark orders ready or recall them, 86 items and options. Each answers with a
redirect back (plain forms: they work from the keyboard and without script)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from orderline.api.dashboard import login
from orderline.api.dashboard.common import back, page, posted, secret, services
from orderline.core.commands import AddItem, Command, RemoveLine, SetQuantity
from orderline.core.provenance import Provenance, Source
from orderline.engine.conversations import SessionNotFoundError
from orderline.storage.base import OrderMark, OrderStatus
from orderline.storage.keys import Role
from orderline.storage.users import check_password

router = APIRouter(include_in_schema=False)
LOGIN_ATTEMPTS_PER_MINUTE = 10

Csrf = Annotated[str | None, Form()]


@router.post("/dashboard/login")
async def sign_in(
    request: Request,
    store: Annotated[str, Form()],
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Csrf = None,
    next: Annotated[str, Form()] = "",
) -> Response:
    nonce = request.cookies.get(login.LOGIN_COOKIE, "")
    if not nonce or csrf != login.login_token(secret(request), nonce):
        raise login.CsrfError
    svc = services(request)
    count, _ = await svc.storage.hit(f"login:{store}:{name.lower()}")
    if count > LOGIN_ATTEMPTS_PER_MINUTE:
        return back(f"/dashboard/login?store={store}&error=too+many+attempts%2C+wait+a+minute")
    user = await svc.storage.get_user(store, name) if store in svc.engine.stores else None
    if user is None or not check_password(user, password) or user.role is Role.CLIENT:
        return back(f"/dashboard/login?store={store}&error=wrong+name+or+password")
    session = login.new_session(user.name, store, user.role)
    target = next if next.startswith(f"/dashboard/{store}/") else f"/dashboard/{store}/live"
    response = back(target)
    login.set_session(response, request, secret(request), session)
    return response


@router.post("/dashboard/logout")
async def sign_out(request: Request, csrf: Csrf = None) -> Response:
    user = login.unsign(secret(request), request.cookies.get(login.COOKIE))
    if user is not None:
        login.check_csrf(secret(request), user, csrf)
    response = back("/dashboard/login" + (f"?store={user.store}" if user else ""))
    login.clear_session(response)
    return response


def _live(store: str, session_id: str) -> Response:
    return back(f"/dashboard/{store}/live#s-{session_id}")


@router.post("/dashboard/{store}/sessions/{session_id}/takeover")
async def take_over(request: Request, store: str, session_id: str, csrf: Csrf = None) -> Response:
    user = posted(request, store, csrf)
    await services(request).conversations.hold(session_id, store, user.name)
    return _live(store, session_id)


@router.post("/dashboard/{store}/sessions/{session_id}/handback")
async def hand_back(request: Request, store: str, session_id: str, csrf: Csrf = None) -> Response:
    posted(request, store, csrf)
    await services(request).conversations.hold(session_id, store, None)
    return _live(store, session_id)


async def _edit(
    request: Request, store: str, session_id: str, user: login.DashUser, command: Command
) -> Response:
    conversations = services(request).conversations
    try:
        record = await conversations.get(session_id, store)
    except SessionNotFoundError:
        return page(request, "error.html", user, title="Conversation ended", message=session_id, status=404)
    if record.held_by is None:
        return page(
            request,
            "error.html",
            user,
            title="Take it over first",
            message="The engine is running this conversation; take it over to edit the order.",
            status=409,
        )
    await conversations.apply(record, (command,), f"[crew {user.name}] {command.kind}", crew=True)
    return _live(store, session_id)


def _by(user: login.DashUser) -> Provenance:
    return Provenance(source=Source.CREW, name=user.name)


@router.post("/dashboard/{store}/sessions/{session_id}/add")
async def add_line(
    request: Request,
    store: str,
    session_id: str,
    item: Annotated[str, Form()],
    quantity: Annotated[int, Form(ge=1, le=20)] = 1,
    size: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    user = posted(request, store, csrf)
    command = AddItem(item=item, quantity=quantity, size=size or None, provenance=_by(user))
    return await _edit(request, store, session_id, user, command)


@router.post("/dashboard/{store}/sessions/{session_id}/lines/{line}/remove")
async def remove_line(
    request: Request, store: str, session_id: str, line: int, csrf: Csrf = None
) -> Response:
    user = posted(request, store, csrf)
    return await _edit(request, store, session_id, user, RemoveLine(line=line, provenance=_by(user)))


@router.post("/dashboard/{store}/sessions/{session_id}/lines/{line}/quantity")
async def set_quantity(
    request: Request,
    store: str,
    session_id: str,
    line: int,
    quantity: Annotated[int, Form(ge=1, le=20)],
    csrf: Csrf = None,
) -> Response:
    user = posted(request, store, csrf)
    command = SetQuantity(line=line, quantity=quantity, provenance=_by(user))
    return await _edit(request, store, session_id, user, command)


async def _mark(
    request: Request, store: str, order_id: str, status: OrderStatus, csrf: str | None
) -> Response:
    user = posted(request, store, csrf)
    storage = services(request).storage
    if await storage.order(store, order_id) is None:
        return page(request, "error.html", user, title="No such order", message=order_id, status=404)
    mark = OrderMark(order_id=order_id, status=status, by=user.name, at=datetime.now(UTC))
    await storage.mark_order(store, mark)
    await storage.publish(
        store, {"type": "order_mark", "order": order_id, "status": status.value, "by": user.name}
    )
    return back(f"/dashboard/{store}/orders")


@router.post("/dashboard/{store}/orders/{order_id}/ready")
async def mark_ready(request: Request, store: str, order_id: str, csrf: Csrf = None) -> Response:
    return await _mark(request, store, order_id, OrderStatus.READY, csrf)


@router.post("/dashboard/{store}/orders/{order_id}/recall")
async def recall(request: Request, store: str, order_id: str, csrf: Csrf = None) -> Response:
    return await _mark(request, store, order_id, OrderStatus.NEW, csrf)


@router.post("/dashboard/{store}/availability")
async def set_availability(
    request: Request,
    store: str,
    target: Annotated[str, Form()],
    action: Annotated[str, Form(pattern="^(off|on)$")],
    csrf: Csrf = None,
) -> Response:
    user = posted(request, store, csrf, Role.MANAGER)
    svc = services(request)
    menu = svc.engine.store_menu(store).menu
    known = {i.id for i in menu.items} | {o.id for g in menu.modifier_groups for o in g.options}
    if target not in known:
        return page(request, "error.html", user, title="Not on this menu", message=target, status=422)
    off, on = ({target}, set()) if action == "off" else (set(), {target})
    await svc.storage.set_availability(store, off, on)
    await svc.storage.publish(
        store, {"type": "availability", "target": target, "action": action, "by": user.name}
    )
    return back(f"/dashboard/{store}/availability#a-{target}")
