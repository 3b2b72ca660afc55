"""menu/dayparts.py: which daypart a clock time falls in."""

from __future__ import annotations

from datetime import time

import pytest

from orderline.menu.dayparts import daypart_at
from orderline.menu.loader import parse_menu
from orderline.menu.schema import Menu


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (time(5, 0), "breakfast"),
        (time(7, 45), "breakfast"),
        (time(10, 29), "breakfast"),
        (time(10, 30), "lunch_dinner"),  # a window includes its start and excludes its end
        (time(18, 0), "lunch_dinner"),
        (time(3, 0), None),
    ],
)
def test_the_burger_menu_serves_breakfast_until_half_past_ten(
    burger: Menu, now: time, expected: str | None
) -> None:
    assert daypart_at(burger, now) == expected


def test_a_window_may_wrap_past_midnight() -> None:
    menu = parse_menu(
        {
            "id": "m",
            "name": "M",
            "dayparts": [{"id": "late_night", "start": "22:00", "end": "02:00"}],
            "items": [{"id": "a", "name": "A", "category": "x"}],
        }
    )
    assert daypart_at(menu, time(23, 30)) == "late_night"
    assert daypart_at(menu, time(1, 59)) == "late_night"
    assert daypart_at(menu, time(2, 0)) is None
    assert daypart_at(menu, time(12, 0)) is None


def test_a_menu_without_dayparts_has_no_daypart(pizza: Menu) -> None:
    assert daypart_at(pizza, time(9, 0)) is None
