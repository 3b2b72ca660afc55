"""Which daypart (breakfast, lunch ...) a clock time falls in."""

from __future__ import annotations

from datetime import time

from orderline.menu.schema import Menu


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(min(int(hours), 23), min(int(minutes), 59))


def daypart_at(menu: Menu, now: time) -> str | None:
    """The first daypart whose window contains ``now`` (windows may wrap past midnight)."""
    for part in menu.dayparts:
        start, end = _parse(part.start), _parse(part.end)
        inside = start <= now < end if start <= end else (now >= start or now < end)
        if inside:
            return part.id
    return None
