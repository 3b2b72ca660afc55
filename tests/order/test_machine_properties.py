"""order/machine.py under random command sequences: it never raises and keeps its invariants."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orderline.core.commands import (
    AddItem,
    Affirm,
    Cancel,
    CannotHandle,
    ClearOrder,
    Command,
    Confirm,
    Deny,
    Done,
    FillSlot,
    Handoff,
    Level,
    ModifierSpec,
    ModifyLine,
    RemoveLine,
    ReplaceItem,
    SetQuantity,
    SetSize,
    SlotSpec,
    Undo,
)
from orderline.core.events import (
    ClarificationNeeded,
    Event,
    OrderSubmitted,
    Rejected,
    RejectReason,
    UpsellOffered,
)
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.order._validate import quantity_cap
from orderline.order.clarify import first_missing
from orderline.order.machine import new_order, transition
from orderline.order.pricing import line_total, totals
from orderline.order.state import DialogState, Order

MENUS = Path(__file__).resolve().parents[2] / "menus"
SOLD_OUT = frozenset({"coke", "onion_rings", "fries", "bacon", "pickles", "cheddar", "pancakes", "ice"})


BURGER = load_menu(MENUS / "burger.yaml")
COFFEE = load_menu(MENUS / "coffee.yaml")
BURGER_86 = BURGER.with_availability(set(SOLD_OUT))

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _commands(menu: Menu) -> st.SearchStrategy[Command]:
    items = st.sampled_from([*sorted(menu.item_index), "lobster", "pizza"])
    options = st.sampled_from([*sorted({o.id for g in menu.modifier_groups for o in g.options}), "unicorn"])
    sizes = st.none() | st.sampled_from([s.id for s in menu.sizes] + ["jumbo"])
    slot_ids = st.sampled_from([*sorted({s.id for i in menu.items for s in i.slots}), "dessert"])
    lines = st.none() | st.integers(min_value=0, max_value=12)
    quantities = st.integers(min_value=1, max_value=3) | st.integers(min_value=1, max_value=40)
    modifiers = st.lists(
        st.builds(
            ModifierSpec,
            option=options,
            level=st.sampled_from(list(Level)),
            negated=st.booleans(),
            on_side=st.booleans(),
        ),
        max_size=3,
    ).map(tuple)
    slot_specs = st.lists(
        st.builds(SlotSpec, slot=slot_ids, item=items, size=sizes, modifiers=modifiers), max_size=2
    ).map(tuple)
    add = st.builds(
        AddItem, item=items, quantity=quantities, size=sizes, modifiers=modifiers, slots=slot_specs
    )
    edits = st.one_of(
        st.builds(RemoveLine, line=lines),
        st.builds(ModifyLine, line=lines, modifiers=modifiers),
        st.builds(SetQuantity, line=lines, quantity=quantities),
        st.builds(SetSize, line=lines, size=st.sampled_from([s.id for s in menu.sizes] + ["jumbo"])),
        st.builds(FillSlot, line=lines, slot=st.none() | slot_ids, item=items, size=sizes),
        st.builds(ReplaceItem, line=lines, item=items, size=sizes, modifiers=modifiers),
    )
    dialog = st.sampled_from([Undo(), ClearOrder(), Done(), Affirm(), Deny(), Confirm()])
    closing = st.sampled_from([Cancel(), Handoff(), CannotHandle(text="huh")])
    # Adds, edits and dialog turns dominate so that orders grow and reach the readback; closing commands
    # (and misunderstandings, three of which hand off) are rare so that sequences go on.
    weighted: list[st.SearchStrategy[Command]] = [add] * 8 + [edits] * 6 + [dialog] * 4 + [closing]
    return st.sampled_from(weighted).flatmap(lambda strategy: strategy)


def _check_step(before: Order, after: Order, events: tuple[Event, ...], menu: Menu) -> None:
    t = totals(after, menu)
    assert t.subtotal_cents == sum(line_total(line, menu) for line in after.lines)
    assert t.total_cents == t.subtotal_cents + t.tax_cents
    assert t.tax_cents >= 0

    ids = [line.id for line in after.lines]
    assert ids == sorted(set(ids)), "line ids are unique and increasing"
    assert all(i < after.next_line_id for i in ids)
    assert after.next_line_id >= before.next_line_id

    assert len(after.lines) <= menu.limits.max_lines
    for line in after.lines:
        item = menu.item_index[line.item]
        assert 1 <= line.quantity <= quantity_cap(item, menu)
        assert line.size is None or line.size in item.sizes

    if before.is_closed:
        assert after == before
        assert [e.reason for e in events if isinstance(e, Rejected)] == [RejectReason.ORDER_CLOSED]
    if after.state is DialogState.SUBMITTED and not before.is_closed:
        assert before.state is DialogState.READBACK, "an order is only submitted from its readback"
        assert any(isinstance(e, OrderSubmitted) for e in events)
    if not after.is_closed:
        missing = first_missing(after, menu)
        assert (after.state is DialogState.CLARIFYING) == (missing is not None)
    assert sum(isinstance(e, ClarificationNeeded) for e in events) <= 1


def _run(menu: Menu, commands: list[Command], daypart: str | None) -> list[Order]:
    order = new_order(daypart=daypart)
    seen = [order]
    upsells = 0
    for command in commands:
        after, events = transition(order, command, menu)
        _check_step(order, after, events, menu)
        upsells += sum(isinstance(e, UpsellOffered) for e in events)
        assert upsells <= 1, "the upsell is offered at most once per order"
        order = after
        seen.append(order)
    return seen


def _assert_nothing_sold_out(orders: list[Order], menu: Menu) -> None:
    for order in orders:
        for line in order.lines:
            assert line.item not in SOLD_OUT
            assert not any(m.option in SOLD_OUT and not m.negated for m in line.modifiers)
            for fill in line.slots:
                assert fill.item not in SOLD_OUT
                assert not any(m.option in SOLD_OUT and not m.negated for m in fill.modifiers)


@SETTINGS
@given(
    commands=st.lists(_commands(BURGER), min_size=1, max_size=30),
    daypart=st.sampled_from([None, "breakfast", "lunch_dinner"]),
)
def test_random_burger_orders_keep_every_invariant(commands: list[Command], daypart: str | None) -> None:
    _run(BURGER, commands, daypart)


@SETTINGS
@given(
    commands=st.lists(_commands(COFFEE), min_size=1, max_size=30),
    daypart=st.sampled_from([None, "breakfast", "lunch"]),
)
def test_random_coffee_orders_keep_every_invariant(commands: list[Command], daypart: str | None) -> None:
    _run(COFFEE, commands, daypart)


@SETTINGS
@example(
    commands=[
        AddItem(item="coke", size="small"),
        AddItem(item="hamburger", modifiers=(ModifierSpec(option="bacon"),)),
    ]
)
@given(commands=st.lists(_commands(BURGER_86), min_size=1, max_size=30))
def test_86d_items_and_options_never_get_into_an_order(commands: list[Command]) -> None:
    _assert_nothing_sold_out(_run(BURGER_86, commands, None), BURGER_86)


def _finish(order: Order, menu: Menu) -> Order:
    """Drive an open order to submission the way a customer would: answer, decline, confirm."""
    for _ in range(8):
        if order.is_closed:
            break
        if order.state is DialogState.CLARIFYING:
            command: Command = ClearOrder()
        elif not order.lines:
            command = AddItem(item="apple_pie")
        elif order.state is DialogState.UPSELL:
            command = Deny()
        else:
            command = Confirm()  # done in taking_order, submit in readback
        order, _ = transition(order, command, menu)
    return order


@SETTINGS
@given(commands=st.lists(_commands(BURGER), max_size=15), more=st.lists(_commands(BURGER), max_size=10))
def test_a_closed_order_never_changes_again(commands: list[Command], more: list[Command]) -> None:
    order = new_order()
    for command in commands:
        order, _ = transition(order, command, BURGER)
    closed = _finish(order, BURGER)
    assert closed.is_closed
    for command in more:
        order, events = transition(closed, command, BURGER)
        assert order == closed
        assert events == (Rejected(reason=RejectReason.ORDER_CLOSED, detail=closed.state.value),)


def test_finishing_an_open_order_submits_it() -> None:
    order, _ = transition(new_order(), AddItem(item="combo_1"), BURGER)
    assert _finish(order, BURGER).state is DialogState.SUBMITTED
