"""order/state.py: an order finds its lines and knows when it is closed."""

from __future__ import annotations

import pytest

from orderline.order.state import DialogState, Order, OrderLine


def test_an_order_finds_a_line_by_id_and_knows_its_last_line() -> None:
    order = Order(lines=(OrderLine(id=2, item="fries"), OrderLine(id=5, item="coke")), next_line_id=6)
    assert order.line(5) == OrderLine(id=5, item="coke")
    assert order.line(3) is None
    assert order.last_line == OrderLine(id=5, item="coke")
    assert Order().last_line is None


@pytest.mark.parametrize("state", list(DialogState))
def test_only_submitted_cancelled_and_handed_off_orders_are_closed(state: DialogState) -> None:
    closed = {DialogState.SUBMITTED, DialogState.CANCELLED, DialogState.HANDED_OFF}
    assert Order(state=state).is_closed == (state in closed)
