"""Dashboard users: per store, with a role, the password kept only as an argon2id hash.

People choose passwords, so unlike API keys (256 random bits, a fast hash is right) they get a slow,
memory-hard hash: argon2id with the library's defaults, re-hashed on login when the defaults change.
"""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, Field

from orderline.storage.keys import Role

_HASHER = PasswordHasher()
MIN_PASSWORD = 8


class DashboardUser(BaseModel):
    """A stored user: never the password itself."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,31}$")
    store: str
    role: Role
    password_hash: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def new_user(name: str, store: str, role: Role, password: str) -> DashboardUser:
    """Raises:
    ValueError: a password shorter than :data:`MIN_PASSWORD`, or a name the pattern refuses.
    """
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return DashboardUser(name=name.lower(), store=store, role=role, password_hash=_HASHER.hash(password))


def check_password(user: DashboardUser, password: str) -> bool:
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(user: DashboardUser) -> bool:
    return _HASHER.check_needs_rehash(user.password_hash)
