"""API keys on every route but ``/healthz``: who is calling, for which store, with which role.

``Authorization: Bearer olk_<id>_<secret>``. Keys are looked up by id (Redis, then the stores file), the
secret checked against its hash, the request counted against the key's per-minute limit (shared by all
workers through Redis), and the role and store compared with what the route needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orderline.api.errors import ApiError
from orderline.engine.engine import Engine
from orderline.storage.base import Storage
from orderline.storage.keys import ApiKey, Role, matches, split_key

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An Orderline API key, olk_<id>_<secret> (create one with `orderline keys create`).",
)


@dataclass(frozen=True)
class Principal:
    key_id: str
    store: str
    role: Role


def configured_keys(engine: Engine) -> dict[str, ApiKey]:
    """Keys listed (hashed) in the stores file."""
    return {
        k.id: ApiKey(id=k.id, store=store.id, role=k.role, sha256=k.sha256, label=k.label)
        for store in engine.stores.values()
        for k in store.keys
    }


_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
) -> Principal:
    """The caller, or 401 (no key, malformed, unknown, wrong secret) / 429 (rate limit)."""
    if credentials is None:
        raise ApiError(401, "missing_key", "send an API key: Authorization: Bearer <key>", _UNAUTHORIZED)
    return await verify_key(request.app.state.services, credentials.credentials)


async def verify_key(services: Any, token: str) -> Principal:
    """Check a key (HTTP header, websocket header or hello message alike).

    Raises:
        ApiError: 401 for a malformed, unknown or wrong key; 429 past the key's rate limit.
    """
    parts = split_key(token)
    if parts is None:
        raise ApiError(401, "invalid_key", "that is not an Orderline API key", _UNAUTHORIZED)
    key_id, secret = parts
    storage: Storage = services.storage
    entry = await storage.get_key(key_id) or services.config_keys.get(key_id)
    if entry is None or not matches(entry, secret):
        raise ApiError(401, "invalid_key", "unknown or revoked API key", _UNAUTHORIZED)
    count, reset_s = await storage.hit(f"key:{key_id}")
    limit = services.engine.settings.rate_limit_per_minute
    if count > limit:
        raise ApiError(
            429, "rate_limited", f"more than {limit} requests a minute", {"Retry-After": str(reset_s)}
        )
    return Principal(key_id=entry.id, store=entry.store, role=entry.role)


def require(role: Role, principal: Principal) -> None:
    if not principal.role.allows(role):
        raise ApiError(
            403, "forbidden_role", f"this needs a {role.value} key (yours is {principal.role.value})"
        )


def require_store(store: str, principal: Principal, engine: Engine) -> None:
    engine.store(store)  # 404 for an unknown store
    if principal.store != store:
        raise ApiError(
            403, "forbidden_store", f"this key belongs to store {principal.store!r}, not {store!r}"
        )
