"""Errors as responses: every refusal is a 4xx with a stable code and a reason; nothing leaks as a 5xx.

Responses share one body, ``{"error": {"code": ..., "message": ...}}`` (:class:`~orderline.api.schemas.ErrorBody`).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderline.api.schemas import ErrorBody
from orderline.engine.conversations import SessionHeldError, SessionNotFoundError, WorkerFullError
from orderline.engine.engine import UnknownStoreError
from orderline.storage.base import StaleRecordError, StorageError

log = structlog.get_logger("orderline.api")


class ApiError(Exception):
    """Raised by routes and dependencies; rendered by :func:`install_handlers`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _plain(errors: list[Any]) -> list[dict[str, Any]]:
    """Validation errors without the raw input (which may be bytes that are not UTF-8)."""
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(SessionNotFoundError)
    async def _no_session(request: Request, exc: SessionNotFoundError) -> JSONResponse:
        return error_response(404, "unknown_session", f"no live session {exc} (it may have expired)")

    @app.exception_handler(UnknownStoreError)
    async def _no_store(request: Request, exc: UnknownStoreError) -> JSONResponse:
        return error_response(404, "unknown_store", f"no store {exc}")

    @app.exception_handler(WorkerFullError)
    async def _full(request: Request, exc: WorkerFullError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)}
        return error_response(503, "worker_full", f"{exc}; retry shortly", headers)

    @app.exception_handler(StaleRecordError)
    async def _stale(request: Request, exc: StaleRecordError) -> JSONResponse:
        return error_response(409, "concurrent_turn", f"{exc}; send the turn again")

    @app.exception_handler(SessionHeldError)
    async def _held(request: Request, exc: SessionHeldError) -> JSONResponse:
        return error_response(
            409,
            "session_held",
            f"a crew member ({exc.by}) has this conversation; it is theirs until handed back",
        )

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> JSONResponse:
        log.error("storage_error", error=str(exc))
        return error_response(
            503, "storage_unavailable", "storage is unreachable; retry", {"Retry-After": "1"}
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _plain(list(exc.errors()))
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "body"
        kind = first.get("type", "")
        code = "invalid_json" if kind in ("json_invalid", "json_type") else "invalid_request"
        return error_response(422, code, f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # FastAPI's wording for a body it could not decode at all (e.g. bytes that are not UTF-8)
            return error_response(400, "invalid_body", "the body must be JSON text in UTF-8")
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug
        log.exception("unhandled_error", path=request.url.path)
        return error_response(500, "internal_error", "the server hit an unexpected error; it was logged")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body could not be decoded (not UTF-8 JSON)."},
    401: {"model": ErrorBody, "description": "Missing or invalid API key."},
    403: {"model": ErrorBody, "description": "The key's role or store does not allow this."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    422: {"model": ErrorBody, "description": "The request is not valid (JSON, types, limits)."},
    429: {"model": ErrorBody, "description": "Rate limit reached; see Retry-After."},
}
"""Responses every authenticated route may give (declared so the OpenAPI schema is complete)."""


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        404: "Unknown store or session.",
        409: "A concurrent turn on the same session saved first (retry), or the crew holds the session.",
        503: "The worker is full or storage is unreachable; see Retry-After.",
    }
    extra: dict[int | str, dict[str, Any]] = {
        s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses
    }
    return {**ERROR_RESPONSES, **extra}
