"""Dashboard sign-in: signed session cookies and CSRF tokens.

The cookie ``ol_dash`` carries ``{user, store, role, nonce, expiry}`` signed with HMAC-SHA256 under the
service's secret key (HttpOnly, SameSite=Strict, Secure behind HTTPS, path ``/dashboard``). Each state-
changing form carries a CSRF token derived from the cookie's nonce, so another site cannot forge a post
even where the browser would send the cookie. The sign-in form itself is protected the same way by a
short-lived pre-login cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from orderline.storage.keys import Role

COOKIE = "ol_dash"
LOGIN_COOKIE = "ol_login"
PATH = "/dashboard"
SHIFT_S = 12 * 3600
"""A sign-in lasts a long shift."""


class NotSignedInError(Exception):
    """No valid dashboard cookie: the page redirects to sign-in."""


class ForbiddenError(Exception):
    """Signed in, but not for this store or not with this role."""


class CsrfError(Exception):
    """A state-changing request without the form's token."""


@dataclass(frozen=True)
class DashUser:
    name: str
    store: str
    role: Role
    nonce: str
    expires: int

    def can(self, role: Role) -> bool:
        return self.role.allows(role)


def _mac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, user: DashUser) -> str:
    payload = json.dumps(
        {"u": user.name, "s": user.store, "r": user.role.value, "n": user.nonce, "e": user.expires},
        separators=(",", ":"),
    )
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_mac(secret, body)}"


def unsign(secret: str, value: str | None, now: float | None = None) -> DashUser | None:
    """The user a cookie names, or None when it is missing, forged, malformed or expired."""
    if not value or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, body)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        user = DashUser(str(data["u"]), str(data["s"]), Role(data["r"]), str(data["n"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return user if user.expires > (now or time.time()) else None


def new_session(name: str, store: str, role: Role) -> DashUser:
    return DashUser(name, store, role, secrets.token_urlsafe(16), int(time.time()) + SHIFT_S)


def csrf_token(secret: str, user: DashUser) -> str:
    return _mac(secret, "csrf:" + user.nonce)[:40]


def check_csrf(secret: str, user: DashUser, token: str | None) -> None:
    """Raises:
    CsrfError: the token is missing or is not this session's.
    """
    if not token or not hmac.compare_digest(token, csrf_token(secret, user)):
        raise CsrfError


def login_token(secret: str, nonce: str) -> str:
    return _mac(secret, "login:" + nonce)[:40]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def set_session(response: Response, request: Request, secret: str, user: DashUser) -> None:
    response.set_cookie(
        COOKIE,
        sign(secret, user),
        max_age=SHIFT_S,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path=PATH)


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")


def set_login_nonce(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def current(request: Request, secret: str, store: str) -> DashUser:
    """The signed-in user for ``store``.

    Raises:
        NotSignedInError: no valid cookie.
        ForbiddenError: the cookie is for another store.
    """
    user = unsign(secret, request.cookies.get(COOKIE))
    if user is None:
        raise NotSignedInError
    if user.store != store:
        raise ForbiddenError(f"signed in for store {user.store!r}, not {store!r}")
    return user
