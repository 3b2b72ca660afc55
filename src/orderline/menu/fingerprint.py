"""A short, stable fingerprint of a menu's content, to notice that a resumed conversation's menu changed.

Availability (86) is left out: it changes during service and is applied per store on every turn, while a
changed fingerprint means the menu itself was edited (items, prices, options) and open orders must be
re-validated against it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from orderline.menu.schema import Menu


def _without_availability(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_availability(v) for k, v in value.items() if k != "available"}
    if isinstance(value, list):
        return [_without_availability(v) for v in value]
    return value


def menu_fingerprint(menu: Menu) -> str:
    """16 hex digits of SHA-256 over the menu's canonical JSON (availability excluded)."""
    data = _without_availability(menu.model_dump(mode="json"))
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return digest[:16]
