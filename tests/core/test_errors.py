"""core/errors.py: a MenuError lists every problem under the file it came from."""

from __future__ import annotations

from orderline.core.errors import MenuError, OrderlineError


def test_a_menu_error_names_the_file_and_lists_each_problem() -> None:
    error = MenuError("menus/burger.yaml", ["items[3].price: bad", "upsells[0].offer: unknown item 'x'"])
    assert isinstance(error, OrderlineError)
    assert str(error) == (
        "invalid menu menus/burger.yaml:\n  - items[3].price: bad\n  - upsells[0].offer: unknown item 'x'"
    )
    assert error.source == "menus/burger.yaml"
    assert error.problems == ["items[3].price: bad", "upsells[0].offer: unknown item 'x'"]
