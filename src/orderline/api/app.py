"""``create_app(settings)``: the HTTP service. The lifespan builds the engine and storage once; routes get
them through :mod:`orderline.api.deps`. Nothing is created at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from orderline import __version__
from orderline.api.auth import configured_keys
from orderline.api.dashboard import actions as dashboard_actions
from orderline.api.dashboard import common as dashboard
from orderline.api.dashboard import pages as dashboard_pages
from orderline.api.deps import Services
from orderline.api.errors import install_handlers
from orderline.api.middleware import BodyLimit
from orderline.api.routers import health, lane, phone, sessions, stores, talk
from orderline.engine.conversations import Conversations
from orderline.engine.engine import Engine
from orderline.engine.logs import configure_logging
from orderline.engine.metrics import Metrics
from orderline.engine.settings import Settings
from orderline.engine.storage import OpenStorage, open_storage
from orderline.transports.streams import follow_control

log = structlog.get_logger("orderline.api")

OnReady = Callable[[Services], Awaitable[None]]

DESCRIPTION = """
Orderline takes restaurant orders in conversation. Open a session at a store, send what the customer said
turn by turn, and say the `reply` back; the order comes with prices, the dialog state and the provenance of
every change (rule or model, which model, confidence, latency). The turn that confirms the readback submits
the order to the store's order stream exactly once.

Every route but `/healthz` needs an API key (`Authorization: Bearer olk_...`), created with
`orderline keys create --store STORE --role client|crew|manager`.
"""


def create_app(
    settings: Settings, *, engine: Engine | None = None, on_ready: OnReady | None = None
) -> FastAPI:
    """The service. ``engine`` may be handed in (already built); otherwise the lifespan builds it."""
    configure_logging(settings.log_format, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built: Engine = engine if engine is not None else await asyncio.to_thread(Engine.build, settings)
        opened: OpenStorage = await asyncio.to_thread(open_storage, settings)
        metrics = Metrics()
        services = Services(
            engine=built,
            storage=opened.storage,
            conversations=Conversations(built, opened.storage, metrics),
            metrics=metrics,
            config_keys=configured_keys(built),
        )
        app.state.services = services
        await built.warm_up()
        control = asyncio.create_task(
            follow_control(lambda: opened.storage.listen("control"), services.streams)
        )
        supervisor = asyncio.create_task(opened.supervise())
        log.info("ready", storage=opened.where, slm=built.slm.status)
        if on_ready is not None:
            await on_ready(services)
        try:
            yield
        finally:
            log.info("shutting_down")
            for task in (control, supervisor):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await opened.aclose()
            if engine is None:
                await built.aclose()

    app = FastAPI(
        title="Orderline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "sessions", "description": "Text conversations."},
            {"name": "stores", "description": "Menus, submitted orders and availability per store."},
            {"name": "operations", "description": "Health, readiness and metrics."},
        ],
    )
    install_handlers(app)
    dashboard.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    routers = (sessions, stores, lane, phone, talk, health, dashboard_pages, dashboard_actions)
    for module in routers:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=talk.STATIC), name="static")
    return app
