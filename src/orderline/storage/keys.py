"""API keys: per store, with a role, stored only as a hash.

A key reads ``olk_<id>_<secret>``: the id finds the stored entry, the secret (32 random bytes) is checked
against its SHA-256 in constant time. A fast hash is right here (the secret has 256 bits of entropy, so
there is nothing to brute-force); passwords, which people choose, are the dashboard's business (argon2).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

PREFIX = "olk"


class Role(StrEnum):
    """What a key may do. Each role includes the ones before it."""

    CLIENT = "client"  # a lane or phone client: open sessions, send turns
    CREW = "crew"  # + read sessions and the order queue
    MANAGER = "manager"  # + change availability (86)

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class ApiKey(BaseModel):
    """A stored key: never the secret itself."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]{8,32}$")
    store: str
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    label: str = ""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(store: str, role: Role, label: str = "") -> tuple[str, ApiKey]:
    """A fresh key: (the plaintext to hand out once, the entry to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{PREFIX}_{key_id}_{secret}", ApiKey(
        id=key_id, store=store, role=role, sha256=hash_secret(secret), label=label
    )


def split_key(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(entry: ApiKey, secret: str) -> bool:
    return hmac.compare_digest(entry.sha256, hash_secret(secret))
