"""Short-lived signed tokens: the TwiML webhook hands one to Twilio as a ``<Parameter>`` (Twilio cannot set
headers on the media socket), and the socket accepts the call only with a valid, unexpired one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

TOKEN_TTL_S = 120


class TokenError(ValueError):
    """Missing, malformed, forged or expired."""


@dataclass(frozen=True)
class StreamGrant:
    store: str
    call_sid: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def issue(secret: str, store: str, call_sid: str, ttl_s: int = TOKEN_TTL_S, now: float | None = None) -> str:
    body = _b64(json.dumps({"s": store, "c": call_sid, "e": int((now or time.time()) + ttl_s)}).encode())
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str | None, now: float | None = None) -> StreamGrant:
    """Raises:
    TokenError: the token is missing, not ours, or expired.
    """
    if not token or token.count(".") != 1:
        raise TokenError("missing or malformed stream token")
    body, mac = token.split(".")
    if not hmac.compare_digest(_mac(secret, body), mac):
        raise TokenError("stream token signature does not match")
    try:
        data = json.loads(_unb64(body))
        grant = StreamGrant(store=str(data["s"]), call_sid=str(data["c"]), expires=int(data["e"]))
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed stream token") from None
    if grant.expires < (now or time.time()):
        raise TokenError("stream token expired")
    return grant
