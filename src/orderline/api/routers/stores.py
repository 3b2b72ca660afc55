"""Per-store resources: the menu (with today's 86 list), submitted orders, availability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from orderline.api.auth import require_store
from orderline.api.deps import CallerDep, CrewDep, EngineDep, ManagerDep, StorageDep
from orderline.api.errors import ApiError, responses
from orderline.api.routers.sessions import StoreId
from orderline.api.schemas import AvailabilityPublic, AvailabilityUpdate, MenuPublic, OrdersPublic

router = APIRouter(tags=["stores"])


@router.get(
    "/v1/stores/{store}/menu", response_model=MenuPublic, responses=responses(404, 503), summary="The menu"
)
async def get_menu(store: StoreId, caller: CallerDep, engine: EngineDep, storage: StorageDep) -> MenuPublic:
    """Items, sizes and options with prices in cents, and what is out of stock right now."""
    require_store(store, caller, engine)
    off = await storage.unavailable(store)
    sm = engine.store_menu(store)
    return MenuPublic.of(store, engine.live_menu(store, off), sm.fingerprint, off)


@router.get(
    "/v1/stores/{store}/orders",
    response_model=OrdersPublic,
    responses=responses(404, 503),
    summary="Submitted orders",
)
async def list_orders(
    store: StoreId,
    caller: CrewDep,
    engine: EngineDep,
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 50,
) -> OrdersPublic:
    """The store's order stream, newest first (crew and managers)."""
    require_store(store, caller, engine)
    return OrdersPublic(store=store, orders=await storage.orders(store, limit))


@router.put(
    "/v1/stores/{store}/availability",
    response_model=AvailabilityPublic,
    responses=responses(404, 503),
    summary="Mark items or options out of stock (86) or back",
)
async def set_availability(
    store: StoreId, body: AvailabilityUpdate, caller: ManagerDep, engine: EngineDep, storage: StorageDep
) -> AvailabilityPublic:
    """Takes effect on the next turn of every session at the store, on every worker (managers only)."""
    require_store(store, caller, engine)
    menu = engine.store_menu(store).menu
    known = {i.id for i in menu.items} | {o.id for g in menu.modifier_groups for o in g.options}
    unknown = sorted((set(body.unavailable) | set(body.available)) - known)
    if unknown:
        raise ApiError(422, "unknown_ids", f"not on this menu: {', '.join(unknown[:10])}")
    both = sorted(set(body.unavailable) & set(body.available))
    if both:
        raise ApiError(422, "conflicting_ids", f"both unavailable and available: {', '.join(both[:10])}")
    off = await storage.set_availability(store, set(body.unavailable), set(body.available))
    return AvailabilityPublic(store=store, unavailable=sorted(off))
