"""Stores: which menu each restaurant serves, its clock, its SLM adapter, its keys (``stores.yaml``).

```yaml
stores:
  - id: burger                      # used in URLs: /v1/stores/burger/...
    name: Burger Barn, Main St
    menu: burger                    # a menu in the menus folder, or a path
    timezone: America/Chicago       # picks the daypart (breakfast, lunch...) of a new conversation
    brand_adapter: orderline-smollm2-lora   # the LoRA module name on a vLLM server
    keys:                           # optional: hashed keys kept in configuration (orderline keys create)
      - {id: 1a2b3c4d5e6f, role: manager, sha256: <64 hex>}
    phone:                          # optional: the store's Twilio line
      account_sid: AC0123456789abcdef0123456789abcdef
      auth_token_env: TWILIO_AUTH_TOKEN_BURGER
      transfer_number: "+15550100"
```
"""

from __future__ import annotations

import os
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orderline.core.errors import OrderlineError
from orderline.storage.keys import Role

STORE_ID = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class ConfiguredKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]{8,32}$")
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    label: str = ""


class PhoneConfig(BaseModel):
    """The store's phone line on Twilio: who signs its webhooks and where a call goes to reach the crew."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_sid: str = Field(pattern=r"^AC[0-9a-zA-Z]{8,40}$")
    auth_token_env: str = Field(
        description="Environment variable holding the Twilio auth token (secrets stay out of this file)."
    )
    transfer_number: str = Field(pattern=r"^\+?[0-9]{3,20}$", description="The store's number for the crew.")
    api_base: str = Field(
        "https://api.twilio.com", description="Twilio's REST API (tests point it elsewhere)."
    )

    def auth_token(self) -> str | None:
        return os.environ.get(self.auth_token_env) or None


class StoreConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=STORE_ID)
    name: str
    menu: str
    timezone: str = "UTC"
    brand_adapter: str | None = None
    keys: tuple[ConfiguredKey, ...] = ()
    phone: PhoneConfig | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def local_time(self, now: datetime | None = None) -> time:
        """The store's wall-clock time (for dayparts)."""
        zone = ZoneInfo(self.timezone)
        return (now or datetime.now(zone)).astimezone(zone).time()


class StoresFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stores: tuple[StoreConfig, ...] = Field(min_length=1)


class StoreError(OrderlineError):
    """stores.yaml is missing or invalid."""


def load_stores(path: Path) -> dict[str, StoreConfig]:
    """Read ``stores.yaml``.

    Raises:
        StoreError: naming the file and the problem.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = StoresFile.model_validate(data)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StoreError(f"{path}: {where}: {first['msg']}") from None
    stores: dict[str, StoreConfig] = {}
    for store in parsed.stores:
        if store.id in stores:
            raise StoreError(f"{path}: duplicate store id {store.id!r}")
        stores[store.id] = store
    return stores
