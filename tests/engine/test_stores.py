"""stores.yaml: which menu, clock and keys each store has; errors name the file and the problem."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderline.engine.assets import demo_stores_file
from orderline.engine.stores import StoreError, load_stores


def test_the_demo_stores_load() -> None:
    stores = load_stores(demo_stores_file())
    assert set(stores) == {"burger", "pizza", "coffee"}
    noon_utc = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    assert stores["burger"].local_time(noon_utc).hour == 12  # America/Chicago in summer


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("stores: []\n", "stores"),
        ("stores:\n  - {id: a, name: A, menu: burger, timezone: Mars/Olympus}\n", "time zone"),
        ("stores:\n  - {id: 'Bad Id', name: A, menu: burger}\n", "id"),
        ("stores:\n  - {id: a, name: A, menu: burger}\n  - {id: a, name: B, menu: pizza}\n", "duplicate"),
        ("stores: [\n", "YAML"),
    ],
)
def test_bad_store_files_name_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "stores.yaml"
    path.write_text(text)
    with pytest.raises(StoreError, match=problem) as info:
        load_stores(path)
    assert "stores.yaml" in str(info.value)
