"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from orderline.api.deps import CallerDep, ServicesDep
from orderline.api.errors import ERROR_RESPONSES
from orderline.api.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is up (no key needed)")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={**ERROR_RESPONSES, 503: {"model": Readiness, "description": "Not ready: Redis unreachable."}},
    summary="Ready to take conversations",
)
async def readyz(services: ServicesDep, caller: CallerDep) -> Response:
    """Models loaded and Redis reachable: ready. An SLM missing its deadline makes the status ``degraded``
    (turns still work, with more clarifying questions), not unready."""
    redis_ok = await services.storage.ping()
    slm = services.engine.slm.summary()
    if not redis_ok:
        status = "unavailable"
    elif slm["status"] == "degraded":
        status = "degraded"
    else:
        status = "ok"
    body = Readiness(
        ready=redis_ok,
        status=status,
        checks={"models": "loaded", "redis": "ok" if redis_ok else "unreachable", "slm": slm},
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if redis_ok else 503)


@router.get(
    "/metrics",
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format."},
    },
    response_class=Response,
    summary="Prometheus metrics",
)
async def metrics(services: ServicesDep, caller: CallerDep) -> Response:
    return Response(services.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
