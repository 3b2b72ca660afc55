"""order/machine.py: every command in every dialog state, rejections with reasons, and edit semantics."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

import pytest

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
    Unplaced,
)
from orderline.core.events import (
    ChangeRequested,
    ClarificationNeeded,
    Cleared,
    Event,
    HandedOff,
    LineAdded,
    LineChanged,
    LineRemoved,
    NotUnderstood,
    OrderCancelled,
    OrderSubmitted,
    ReadbackRequested,
    Rejected,
    RejectReason,
    Undone,
    UpsellOffered,
)
from orderline.core.provenance import Provenance, Source
from orderline.menu.loader import parse_menu
from orderline.menu.schema import Menu
from orderline.order.machine import MAX_FAILED_TURNS, MAX_UNDO, new_order, transition
from orderline.order.state import DialogState, ModifierChoice, Order, OrderLine

Play = Callable[..., tuple[Order, tuple[Event, ...]]]
State = DialogState


def _mod(option: str, *, no: bool = False, level: Level = Level.REGULAR, side: bool = False) -> ModifierSpec:
    return ModifierSpec(option=option, negated=no, level=level, on_side=side)


def _summary(events: tuple[Event, ...]) -> list[str]:
    return [f"rejected:{e.reason.value}" if isinstance(e, Rejected) else e.kind for e in events]


def _rejections(events: tuple[Event, ...]) -> list[tuple[RejectReason, str]]:
    return [(e.reason, e.detail) for e in events if isinstance(e, Rejected)]


def _slots(line: OrderLine) -> dict[str, tuple[str | None, str | None]]:
    return {fill.slot: (fill.item, fill.size) for fill in line.slots}


# ================================================================ every command in every state

SETUPS: dict[str, tuple[Command, ...]] = {
    "greeting": (),
    "taking_order": (AddItem(item="hamburger"),),
    "clarifying": (AddItem(item="fries"),),
    "upsell": (AddItem(item="hamburger"), Done()),
    "readback": (AddItem(item="hamburger"), Done(), Deny()),
    "submitted": (AddItem(item="hamburger"), Done(), Deny(), Confirm()),
    "cancelled": (AddItem(item="hamburger"), Cancel()),
    "handed_off": (AddItem(item="hamburger"), Handoff()),
}

COMMANDS: dict[str, Command] = {
    "add": AddItem(item="apple_pie"),
    "remove": RemoveLine(),
    "modify": ModifyLine(modifiers=(_mod("bacon"),)),
    "set_quantity": SetQuantity(quantity=2),
    "set_size": SetSize(size="small"),
    "fill_slot": FillSlot(item="coke"),
    "replace": ReplaceItem(item="cheeseburger"),
    "undo": Undo(),
    "clear": ClearOrder(),
    "done": Done(),
    "affirm": Affirm(),
    "deny": Deny(),
    "confirm": Confirm(),
    "cancel": Cancel(),
    "handoff": Handoff(),
    "unplaced": Unplaced(words="no onions", options=("onions",)),
    "cannot_handle": CannotHandle(),
}

_ASK = "clarification_needed"

# state -> command -> (next state, events). Terminal states are covered by their own test below.
EXPECTED: dict[str, dict[str, tuple[str, list[str]]]] = {
    "greeting": {
        "add": ("taking_order", ["line_added"]),
        "remove": ("greeting", ["rejected:unknown_line"]),
        "modify": ("greeting", ["rejected:unknown_line"]),
        "set_quantity": ("greeting", ["rejected:unknown_line"]),
        "set_size": ("greeting", ["rejected:unknown_line"]),
        "fill_slot": ("greeting", ["rejected:unknown_slot"]),
        "replace": ("greeting", ["rejected:unknown_line"]),
        "undo": ("greeting", ["rejected:nothing_to_undo"]),
        "clear": ("greeting", ["rejected:empty_order"]),
        "done": ("greeting", ["rejected:empty_order"]),
        "affirm": ("greeting", ["rejected:not_applicable"]),
        "deny": ("greeting", ["rejected:not_applicable"]),
        "confirm": ("greeting", ["rejected:empty_order"]),
        "cancel": ("cancelled", ["order_cancelled"]),
        "handoff": ("handed_off", ["handed_off"]),
        "unplaced": ("greeting", ["modifier_unplaced"]),
        "cannot_handle": ("greeting", ["not_understood"]),
    },
    "taking_order": {
        "add": ("taking_order", ["line_added"]),
        "remove": ("taking_order", ["line_removed"]),
        "modify": ("taking_order", ["line_changed"]),
        "set_quantity": ("taking_order", ["line_changed"]),
        "set_size": ("taking_order", ["rejected:unknown_size"]),
        "fill_slot": ("taking_order", ["rejected:unknown_slot"]),
        "replace": ("taking_order", ["line_changed"]),
        "undo": ("taking_order", ["undone"]),
        "clear": ("taking_order", ["cleared"]),
        "done": ("upsell", ["upsell_offered"]),
        "affirm": ("taking_order", ["rejected:not_applicable"]),
        "deny": ("upsell", ["upsell_offered"]),  # "anything else?" - "no"
        "confirm": ("upsell", ["upsell_offered"]),  # never submits without a readback
        "cancel": ("cancelled", ["order_cancelled"]),
        "handoff": ("handed_off", ["handed_off"]),
        "unplaced": ("taking_order", ["modifier_unplaced"]),
        "cannot_handle": ("taking_order", ["not_understood"]),
    },
    "clarifying": {
        "add": ("clarifying", ["line_added", _ASK]),
        "remove": ("taking_order", ["line_removed"]),
        "modify": ("clarifying", ["rejected:unknown_option", _ASK]),
        "set_quantity": ("clarifying", ["line_changed", _ASK]),
        "set_size": ("taking_order", ["line_changed"]),
        "fill_slot": ("clarifying", ["rejected:unknown_slot", _ASK]),
        "replace": ("taking_order", ["line_changed"]),
        "undo": ("taking_order", ["undone"]),
        "clear": ("taking_order", ["cleared"]),
        "done": ("clarifying", ["question_repeated", _ASK]),  # once; then the line is left off
        "affirm": ("clarifying", ["question_repeated", _ASK]),
        "deny": ("taking_order", ["line_removed"]),  # "no thanks" to the size: no fries
        "confirm": ("clarifying", ["question_repeated", _ASK]),
        "cancel": ("cancelled", ["order_cancelled"]),
        "handoff": ("handed_off", ["handed_off"]),
        "unplaced": ("clarifying", ["modifier_unplaced", _ASK]),
        "cannot_handle": ("clarifying", ["not_understood", _ASK]),
    },
    "upsell": {  # a change that leaves nothing to ask goes straight back to the readback
        "add": ("readback", ["line_added", "readback_requested"]),
        "remove": ("taking_order", ["line_removed"]),
        "modify": ("readback", ["line_changed", "readback_requested"]),
        "set_quantity": ("readback", ["line_changed", "readback_requested"]),
        "set_size": ("upsell", ["rejected:unknown_size"]),
        "fill_slot": ("upsell", ["rejected:unknown_slot"]),
        "replace": ("readback", ["line_changed", "readback_requested"]),
        "undo": ("taking_order", ["undone"]),
        "clear": ("taking_order", ["cleared"]),
        "done": ("readback", ["readback_requested"]),
        "affirm": ("clarifying", ["line_added", _ASK]),  # the Coke needs a size
        "deny": ("readback", ["readback_requested"]),
        "confirm": ("readback", ["readback_requested"]),
        "cancel": ("cancelled", ["order_cancelled"]),
        "handoff": ("handed_off", ["handed_off"]),
        "unplaced": ("upsell", ["modifier_unplaced"]),
        "cannot_handle": ("upsell", ["not_understood"]),
    },
    "readback": {
        "add": ("readback", ["line_added", "readback_requested"]),
        "remove": ("taking_order", ["line_removed"]),
        "modify": ("readback", ["line_changed", "readback_requested"]),
        "set_quantity": ("readback", ["line_changed", "readback_requested"]),
        "set_size": ("readback", ["rejected:unknown_size"]),
        "fill_slot": ("readback", ["rejected:unknown_slot"]),
        "replace": ("readback", ["line_changed", "readback_requested"]),
        "undo": ("taking_order", ["undone"]),
        "clear": ("taking_order", ["cleared"]),
        "done": ("submitted", ["order_submitted"]),  # "that's it" after the readback
        "affirm": ("submitted", ["order_submitted"]),
        "deny": ("taking_order", ["change_requested"]),
        "confirm": ("submitted", ["order_submitted"]),
        "cancel": ("cancelled", ["order_cancelled"]),
        "handoff": ("handed_off", ["handed_off"]),
        "unplaced": ("readback", ["modifier_unplaced"]),
        "cannot_handle": ("readback", ["not_understood"]),
    },
}

OPEN_CASES = [(state, name) for state, row in EXPECTED.items() for name in row]
CLOSED_CASES = [(state, name) for state in ("submitted", "cancelled", "handed_off") for name in COMMANDS]


def test_the_state_table_covers_every_command_kind() -> None:
    assert {type(c) for c in COMMANDS.values()} == set(get_args(get_args(Command)[0]))
    assert all(set(row) == set(COMMANDS) for row in EXPECTED.values())


@pytest.mark.parametrize("setup", list(SETUPS))
def test_each_setup_reaches_the_state_it_is_named_after(burger: Menu, play: Play, setup: str) -> None:
    order, _ = play(burger, *SETUPS[setup])
    assert order.state.value == setup


@pytest.mark.parametrize(("state", "command"), OPEN_CASES)
def test_every_command_in_every_open_state(burger: Menu, play: Play, state: str, command: str) -> None:
    before, _ = play(burger, *SETUPS[state])
    after, events = transition(before, COMMANDS[command], burger)
    expected_state, expected_events = EXPECTED[state][command]
    assert (after.state.value, _summary(events)) == (expected_state, expected_events)
    if all(isinstance(e, Rejected | ClarificationNeeded) for e in events):
        assert after.lines == before.lines


@pytest.mark.parametrize(("state", "command"), CLOSED_CASES)
def test_a_closed_order_rejects_every_command_and_stays_unchanged(
    burger: Menu, play: Play, state: str, command: str
) -> None:
    before, _ = play(burger, *SETUPS[state])
    after, events = transition(before, COMMANDS[command], burger)
    assert after == before
    assert events == (Rejected(reason=RejectReason.ORDER_CLOSED, detail=state),)


# ================================================================ greeting


def test_a_new_order_starts_in_the_greeting_state_and_is_empty() -> None:
    order = new_order("lane-1", daypart="breakfast")
    assert (order.id, order.state, order.lines, order.daypart) == ("lane-1", State.GREETING, (), "breakfast")


def test_adding_an_item_starts_taking_the_order(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger", quantity=2))
    assert events == (LineAdded(line=1),)
    assert order.state is State.TAKING_ORDER
    assert [(line.id, line.item, line.quantity) for line in order.lines] == [(1, "hamburger", 2)]


def test_a_rejected_first_request_keeps_greeting(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="lobster"))
    assert order.state is State.GREETING


# ================================================================ clarifying


def test_an_item_without_its_size_asks_for_the_size(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="fries"))
    assert order.state is State.CLARIFYING
    assert events[-1] == ClarificationNeeded(
        line=1, choice="size", target="fries", options=("small", "medium", "large")
    )


def test_answering_the_size_ends_the_clarification(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="fries"), SetSize(size="large"))
    assert events == (LineChanged(line=1, what="size"),)
    assert order.state is State.TAKING_ORDER
    assert order.lines[0].size == "large"


def test_a_meal_without_a_size_asks_the_size_before_the_drink(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="combo_1"))
    ask = events[-1]
    assert isinstance(ask, ClarificationNeeded)
    assert (ask.choice, ask.target) == ("size", "combo_1")
    order, events = play(burger, SetSize(size="medium"), order=order)
    ask = events[-1]
    assert isinstance(ask, ClarificationNeeded)
    assert (ask.choice, ask.target) == ("slot", "drink")
    assert order.state is State.CLARIFYING


def test_a_meal_without_its_drink_asks_which_drink(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="combo_1", size="large"))
    ask = events[-1]
    assert isinstance(ask, ClarificationNeeded)
    assert (ask.line, ask.choice, ask.target) == (1, "slot", "drink")
    assert ask.options[:3] == ("coke", "diet_coke", "sprite")
    assert _slots(order.lines[0]) == {"side": ("fries", "large"), "drink": (None, None)}


def test_answering_the_drink_fills_it_in_the_meal_size(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="combo_1", size="large"), FillSlot(item="sprite"))
    assert events == (LineChanged(line=1, what="drink"),)
    assert order.state is State.TAKING_ORDER
    assert _slots(order.lines[0])["drink"] == ("sprite", "large")


def test_a_required_group_without_a_choice_is_asked_about(coffee: Menu, play: Play) -> None:
    order, events = play(coffee, AddItem(item="bacon_egg_cheese_sandwich"), daypart="breakfast")
    assert order.state is State.CLARIFYING
    assert events[-1] == ClarificationNeeded(
        line=1,
        choice="group",
        target="bread",
        options=("english_muffin", "biscuit", "croissant_bun", "sourdough"),
    )
    order, events = play(coffee, ModifyLine(modifiers=(_mod("biscuit"),)), order=order)
    assert order.state is State.TAKING_ORDER
    assert order.lines[0].modifiers == (ModifierChoice(group="bread", option="biscuit"),)


def test_a_required_group_chosen_up_front_needs_no_question(coffee: Menu, play: Play) -> None:
    order, events = play(
        coffee,
        AddItem(item="bacon_egg_cheese_sandwich", modifiers=(_mod("croissant_bun"),)),
        daypart="breakfast",
    )
    assert events == (LineAdded(line=1),)
    assert order.state is State.TAKING_ORDER


def test_done_while_a_choice_is_missing_asks_again_instead_of_reading_back(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), AddItem(item="fries"), Done())
    assert order.state is State.CLARIFYING
    assert _summary(events) == ["question_repeated", "clarification_needed"]


def test_done_twice_while_a_choice_is_missing_leaves_that_line_off_and_finishes(
    burger: Menu, play: Play
) -> None:
    order, events = play(burger, AddItem(item="hamburger"), AddItem(item="fries"), Done(), Done())
    assert [line.item for line in order.lines] == ["hamburger"]
    assert _summary(events) == ["line_removed", "upsell_offered"]
    assert order.state is State.UPSELL


def test_no_thanks_to_a_pending_choice_drops_only_that_line(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger"), AddItem(item="fries"), Deny())
    assert [line.item for line in order.lines] == ["hamburger"]
    assert order.state is State.TAKING_ORDER


def test_an_answer_after_a_repeated_question_starts_the_count_again(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger, AddItem(item="fries"), Done(), SetSize(size="small"), AddItem(item="coke"), Done()
    )
    assert order.state is State.CLARIFYING  # asked again about the Coke, not dropped at once
    assert [line.item for line in order.lines] == ["fries", "coke"]


def test_only_the_first_missing_choice_is_asked_about(burger: Menu, play: Play) -> None:
    _order, events = play(burger, AddItem(item="fries"), AddItem(item="coke"))
    asks = [e for e in events if isinstance(e, ClarificationNeeded)]
    assert [(a.line, a.target) for a in asks] == [(1, "fries")]


# ================================================================ upsell


def test_done_with_a_burger_and_no_drink_offers_a_drink(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="cheeseburger"), Done())
    assert events == (UpsellOffered(item="coke", prompt="Would you like a drink with that?"),)
    assert (order.state, order.upsell_offered, order.offered_item) == (State.UPSELL, True, "coke")


def test_no_drink_is_offered_when_the_order_has_one(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="cheeseburger"), AddItem(item="sprite", size="small"), Done())
    assert events == (ReadbackRequested(),)
    assert order.state is State.READBACK


def test_a_meal_is_offered_a_cookie_because_its_drink_counts(burger: Menu, play: Play) -> None:
    _, events = play(
        burger,
        AddItem(item="combo_1", size="small", slots=(SlotSpec(slot="drink", item="coke"),)),
        Done(),
    )
    assert events == (
        UpsellOffered(
            item="chocolate_chip_cookie", prompt="Would you like to add a warm chocolate chip cookie?"
        ),
    )


def test_an_86d_item_is_never_offered(burger_86: Menu, play: Play) -> None:
    order, events = play(burger_86, AddItem(item="hamburger"), Done())
    assert events == (ReadbackRequested(),)
    assert order.state is State.READBACK


def test_accepting_the_upsell_adds_the_offered_item(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), Done(), Affirm())
    assert [line.item for line in order.lines] == ["hamburger", "coke"]
    assert events[0] == LineAdded(line=2)
    assert order.state is State.CLARIFYING  # the Coke still needs a size


def test_after_an_accepted_upsell_is_completed_done_reads_back_without_offering_again(
    burger: Menu, play: Play
) -> None:
    order, events = play(burger, AddItem(item="hamburger"), Done(), Affirm(), SetSize(size="small"))
    assert ReadbackRequested() in events  # the size completes the order: straight to the readback
    assert order.state is State.READBACK
    order, events = play(burger, Done(), order=order)
    assert order.state is State.SUBMITTED


def test_accepting_an_upsell_that_needs_no_choice_goes_to_the_readback(coffee: Menu, play: Play) -> None:
    order, events = play(coffee, AddItem(item="latte", size="large"), Done(), Affirm())
    assert ReadbackRequested() in events
    assert order.state is State.READBACK
    order, events = play(coffee, Affirm(), order=order)
    assert order.state is State.SUBMITTED


def test_declining_the_upsell_goes_to_the_readback(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), Done(), Deny())
    assert events == (ReadbackRequested(),)
    assert order.state is State.READBACK
    assert [line.item for line in order.lines] == ["hamburger"]


def test_the_upsell_is_offered_at_most_once_per_order(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger"), Done(), Deny(), Deny())
    assert order.state is State.TAKING_ORDER
    order, events = play(burger, AddItem(item="cheeseburger"), order=order)
    assert _summary(events) == ["line_added", "readback_requested"]  # no second offer


# ================================================================ readback


def test_confirming_the_readback_submits_the_order_with_its_total(burger: Menu, play: Play) -> None:
    order, events = play(burger, *SETUPS["readback"], Confirm())
    assert order.state is State.SUBMITTED
    assert events == (OrderSubmitted(total_cents=378),)  # $3.49 + 8.25% tax


def test_denying_the_readback_asks_what_to_change(burger: Menu, play: Play) -> None:
    order, events = play(burger, *SETUPS["readback"], Deny())
    assert events == (ChangeRequested(),)
    assert order.state is State.TAKING_ORDER


def test_a_change_during_the_readback_reads_the_order_back_again(burger: Menu, play: Play) -> None:
    order, events = play(burger, *SETUPS["readback"], SetQuantity(quantity=2))
    assert order.state is State.READBACK
    assert events[-1] == ReadbackRequested()  # read back again, with the change
    order, _ = play(burger, Affirm(), order=order)
    assert order.state is State.SUBMITTED


def test_a_change_that_needs_a_choice_during_the_readback_asks_first(burger: Menu, play: Play) -> None:
    order, _ = play(burger, *SETUPS["readback"], AddItem(item="fries"))
    assert order.state is State.CLARIFYING
    order, _ = play(burger, SetSize(size="large"), order=order)
    assert order.state is State.READBACK


def test_an_order_is_never_submitted_without_a_readback(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger"), AddItem(item="coke", size="small"), Confirm())
    assert order.state is State.READBACK
    order, _ = play(burger, Confirm(), order=order)
    assert order.state is State.SUBMITTED


# ================================================================ terminal states


def test_cancel_closes_the_order(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), Cancel())
    assert events == (OrderCancelled(),)
    assert order.is_closed


def test_a_handoff_keeps_the_reason(burger: Menu, play: Play) -> None:
    order, events = play(burger, Handoff(reason="allergy question"))
    assert events == (HandedOff(reason="allergy question"),)
    assert order.state is State.HANDED_OFF


def test_a_submitted_order_cannot_be_changed(burger: Menu, play: Play) -> None:
    submitted, _ = play(burger, *SETUPS["submitted"])
    order, events = play(burger, AddItem(item="coke", size="large"), order=submitted)
    assert order == submitted
    assert events == (Rejected(reason=RejectReason.ORDER_CLOSED, detail="submitted"),)


# ================================================================ rejections with reasons


def test_an_unknown_item_is_rejected_with_its_id(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="lobster_roll"))
    assert _rejections(events) == [(RejectReason.UNKNOWN_ITEM, "lobster_roll")]
    assert order.lines == ()


def test_adding_an_item_86d_in_the_menu_file_is_rejected_with_its_name(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="pumpkin_spice_shake", size="small"))
    assert _rejections(events) == [(RejectReason.UNAVAILABLE, "Pumpkin Spice Shake")]
    assert order.lines == ()


def test_adding_an_86d_item_is_rejected_with_its_name(burger_86: Menu, play: Play) -> None:
    order, events = play(burger_86, AddItem(item="coke", size="large"))
    assert _rejections(events) == [(RejectReason.UNAVAILABLE, "Coke")]
    assert order.lines == ()


def test_an_item_86d_during_service_is_rejected(burger: Menu, play: Play) -> None:
    _, events = play(burger.with_availability({"coke"}), AddItem(item="coke", size="large"))
    assert _rejections(events) == [(RejectReason.UNAVAILABLE, "Coke")]


def test_an_86d_option_is_rejected_with_its_name_and_the_item_is_still_added(
    burger_86: Menu, play: Play
) -> None:
    order, events = play(
        burger_86, AddItem(item="hamburger", modifiers=(_mod("bacon"), _mod("pickles", no=True)))
    )
    assert _rejections(events) == [(RejectReason.UNAVAILABLE, "bacon")]
    assert order.lines[0].modifiers == (
        ModifierChoice(group="burger_toppings", option="pickles", negated=True),
    )


def test_saying_no_to_an_86d_option_is_accepted(burger_86: Menu, play: Play) -> None:
    order, events = play(burger_86, AddItem(item="bacon_cheeseburger", modifiers=(_mod("bacon", no=True),)))
    assert _rejections(events) == []
    assert order.lines[0].modifiers[0].negated


def test_an_86d_choice_for_a_meal_slot_is_rejected_and_asked_again(burger_86: Menu, play: Play) -> None:
    order, events = play(
        burger_86,
        AddItem(item="combo_1", size="small", slots=(SlotSpec(slot="drink", item="coke"),)),
    )
    assert (RejectReason.UNAVAILABLE, "Coke") in _rejections(events)
    ask = events[-1]
    assert isinstance(ask, ClarificationNeeded)
    assert ask.target == "drink"
    assert "coke" not in ask.options
    order, events = play(burger_86, FillSlot(item="coke"), order=order)
    assert _rejections(events) == [(RejectReason.UNAVAILABLE, "Coke")]


def test_a_meal_whose_main_item_is_86d_is_rejected(burger: Menu, play: Play) -> None:
    menu = burger.with_availability({"cheeseburger"})
    _, events = play(menu, AddItem(item="combo_1", size="small"))
    assert _rejections(events) == [(RejectReason.UNAVAILABLE, "Cheeseburger")]


def test_an_item_86d_and_brought_back_can_be_ordered_again(burger: Menu, play: Play) -> None:
    menu = burger.with_availability(set(), {"pumpkin_spice_shake"})
    _, events = play(menu, AddItem(item="pumpkin_spice_shake", size="small"))
    assert events == (LineAdded(line=1),)


def test_a_breakfast_item_at_lunch_is_rejected_as_out_of_daypart(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="pancakes"), daypart="lunch_dinner")
    assert _rejections(events) == [(RejectReason.NOT_IN_DAYPART, "Pancakes")]
    assert order.lines == ()


def test_a_breakfast_meal_at_lunch_is_rejected_too(burger: Menu, play: Play) -> None:
    _, events = play(burger, AddItem(item="combo_9", size="small"), daypart="lunch_dinner")
    assert _rejections(events) == [(RejectReason.NOT_IN_DAYPART, "Number 9 Sausage Biscuit Meal")]


def test_a_breakfast_item_at_breakfast_is_accepted(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="pancakes"), daypart="breakfast")
    assert [line.item for line in order.lines] == ["pancakes"]


def test_replacing_with_an_out_of_daypart_item_is_rejected(burger: Menu, play: Play) -> None:
    order, events = play(
        burger, AddItem(item="hamburger"), ReplaceItem(item="pancakes"), daypart="lunch_dinner"
    )
    assert _rejections(events) == [(RejectReason.NOT_IN_DAYPART, "Pancakes")]
    assert order.lines[0].item == "hamburger"


@pytest.mark.parametrize(
    "command",
    [RemoveLine(line=7), ModifyLine(line=7), SetQuantity(line=7, quantity=2), SetSize(line=7, size="large")],
    ids=["remove", "modify", "set_quantity", "set_size"],
)
def test_a_command_for_a_line_that_does_not_exist_is_rejected(
    burger: Menu, play: Play, command: Command
) -> None:
    before, _ = play(burger, AddItem(item="fries", size="small"))
    after, events = play(burger, command, order=before)
    assert _rejections(events) == [(RejectReason.UNKNOWN_LINE, "line 7")]
    assert after.lines == before.lines


def test_filling_a_slot_of_a_line_that_does_not_exist_is_rejected(burger: Menu, play: Play) -> None:
    _, events = play(burger, AddItem(item="combo_1", size="small"), FillSlot(line=9, item="coke"))
    assert (RejectReason.UNKNOWN_LINE, "line 9") in _rejections(events)


def test_a_command_for_the_last_line_of_an_empty_order_is_rejected(burger: Menu, play: Play) -> None:
    _, events = play(burger, ReplaceItem(item="hamburger"))
    assert _rejections(events) == [(RejectReason.UNKNOWN_LINE, "the order is empty")]


def test_a_quantity_over_the_per_line_cap_is_rejected(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger", quantity=21))
    assert _rejections(events) == [(RejectReason.QUANTITY_CAP, "at most 20 Hamburger")]
    assert order.lines == ()
    order, _ = play(burger, AddItem(item="hamburger", quantity=20))
    assert order.lines[0].quantity == 20


def test_raising_a_quantity_over_the_cap_is_rejected(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger", quantity=3), SetQuantity(quantity=25))
    assert _rejections(events) == [(RejectReason.QUANTITY_CAP, "at most 20 Hamburger")]
    assert order.lines[0].quantity == 3


def test_an_item_cap_below_the_menu_cap_applies(play: Play) -> None:
    menu = parse_menu(
        {
            "id": "m",
            "name": "M",
            "items": [
                {"id": "cake", "name": "Whole Cake", "category": "x", "price": 20, "max_quantity": 2},
                {"id": "cookie", "name": "Cookie", "category": "x", "price": 1},
            ],
        }
    )
    _, events = play(menu, AddItem(item="cake", quantity=3))
    assert _rejections(events) == [(RejectReason.QUANTITY_CAP, "at most 2 Whole Cake")]
    order, _ = play(menu, AddItem(item="cookie", quantity=5), ReplaceItem(item="cake"))
    assert (order.lines[0].item, order.lines[0].quantity) == ("cake", 2)  # a replacement respects the cap


def test_a_line_over_the_line_cap_is_rejected(burger: Menu, play: Play) -> None:
    full, _ = play(burger, *[AddItem(item="apple_pie")] * burger.limits.max_lines)
    assert len(full.lines) == 30
    order, events = play(burger, AddItem(item="hamburger"), order=full)
    assert _rejections(events) == [(RejectReason.LINE_CAP, "at most 30 lines")]
    assert order.lines == full.lines


def test_an_unknown_size_is_rejected_and_the_size_is_asked(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="fries", size="jumbo"))
    assert _rejections(events) == [(RejectReason.UNKNOWN_SIZE, "Fries in jumbo")]
    assert order.lines[0].size is None
    assert order.state is State.CLARIFYING


def test_setting_a_size_the_item_does_not_come_in_is_rejected(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="fries", size="small"), SetSize(size="extra_large"))
    assert _rejections(events) == [(RejectReason.UNKNOWN_SIZE, "Fries in extra large")]
    assert order.lines[0].size == "small"


def test_setting_a_size_on_an_item_without_sizes_is_rejected(burger: Menu, play: Play) -> None:
    _, events = play(burger, AddItem(item="hamburger"), SetSize(size="large"))
    assert _rejections(events) == [(RejectReason.UNKNOWN_SIZE, "Hamburger in large")]


def test_choosing_more_options_than_a_group_allows_is_rejected(burger: Menu, play: Play) -> None:
    sauces = ("bbq_sauce", "ranch", "honey_mustard", "buffalo_sauce")
    order, events = play(burger, AddItem(item="hamburger", modifiers=tuple(_mod(s) for s in sauces)))
    assert _rejections(events) == [(RejectReason.TOO_MANY_CHOICES, "at most 3 sauces")]
    assert [m.option for m in order.lines[0].modifiers] == list(sauces[:3])


def test_an_option_that_is_not_on_the_item_is_rejected(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), ModifyLine(modifiers=(_mod("whipped_cream"),)))
    assert _rejections(events) == [(RejectReason.UNKNOWN_OPTION, "whipped cream on the Hamburger")]
    assert order.lines[0].modifiers == ()


def test_undo_with_nothing_to_undo_is_rejected(burger: Menu, play: Play) -> None:
    _, events = play(burger, Undo())
    assert _rejections(events) == [(RejectReason.NOTHING_TO_UNDO, "")]


def test_a_slot_choice_that_is_not_offered_is_rejected(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="combo_1", size="small"), FillSlot(item="apple_pie"))
    assert (RejectReason.UNKNOWN_SLOT, "Apple Pie") in _rejections(events)
    assert _slots(order.lines[0])["drink"] == (None, None)


def test_a_slot_the_item_does_not_have_is_rejected(burger: Menu, play: Play) -> None:
    _, events = play(burger, AddItem(item="hamburger", slots=(SlotSpec(slot="drink", item="coke"),)))
    assert (RejectReason.UNKNOWN_SLOT, "drink on Hamburger") in _rejections(events)


# ================================================================ undo, clear, remove


def test_undo_restores_the_previous_lines(burger: Menu, play: Play) -> None:
    one, _ = play(burger, AddItem(item="hamburger"))
    order, events = play(burger, AddItem(item="apple_pie"), Undo(), order=one)
    assert events == (Undone(),)
    assert order.lines == one.lines


def test_undo_brings_back_a_removed_line_with_its_id(burger: Menu, play: Play) -> None:
    before, _ = play(burger, AddItem(item="hamburger"), AddItem(item="apple_pie"))
    order, events = play(burger, RemoveLine(line=1), order=before)
    assert events == (LineRemoved(line=1, name="Hamburger"),)
    order, _ = play(burger, Undo(), order=order)
    assert order.lines == before.lines


def test_undo_reverts_a_modification(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger, AddItem(item="hamburger"), ModifyLine(modifiers=(_mod("onions", no=True),)), Undo()
    )
    assert order.lines[0].modifiers == ()


def test_undo_steps_back_one_change_at_a_time(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger, AddItem(item="hamburger"), AddItem(item="apple_pie"), AddItem(item="brownie"), Undo(), Undo()
    )
    assert [line.item for line in order.lines] == ["hamburger"]


def test_undo_remembers_a_limited_number_of_changes(burger: Menu, play: Play) -> None:
    adds = [AddItem(item="apple_pie")] * (MAX_UNDO + 5)
    order, _ = play(burger, *adds, *[Undo()] * MAX_UNDO)
    assert len(order.lines) == 5
    _, events = play(burger, Undo(), order=order)
    assert _rejections(events) == [(RejectReason.NOTHING_TO_UNDO, "")]


def test_clear_empties_the_order_and_undo_brings_it_back(burger: Menu, play: Play) -> None:
    before, _ = play(burger, AddItem(item="hamburger"), AddItem(item="apple_pie"))
    order, events = play(burger, ClearOrder(), order=before)
    assert events == (Cleared(),)
    assert order.lines == ()
    order, _ = play(burger, Undo(), order=order)
    assert order.lines == before.lines


def test_remove_without_a_line_removes_the_most_recent_one(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), AddItem(item="apple_pie"), RemoveLine())
    assert events == (LineRemoved(line=2, name="Apple Pie"),)
    assert [line.item for line in order.lines] == ["hamburger"]


def test_line_ids_are_never_reused(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger"), RemoveLine(), AddItem(item="apple_pie"))
    assert [line.id for line in order.lines] == [2]


# ================================================================ quantity, replace, size, slots


def test_set_quantity_changes_the_named_line(burger: Menu, play: Play) -> None:
    order, events = play(
        burger, AddItem(item="hamburger"), AddItem(item="apple_pie"), SetQuantity(line=1, quantity=4)
    )
    assert events == (LineChanged(line=1, what="quantity"),)
    assert [line.quantity for line in order.lines] == [4, 1]


def test_replace_keeps_the_quantity_and_the_line_id(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger", quantity=3), ReplaceItem(item="cheeseburger"))
    assert events == (LineChanged(line=1, what="item"),)
    assert [(line.id, line.item, line.quantity) for line in order.lines] == [(1, "cheeseburger", 3)]


def test_replace_keeps_the_size_when_the_new_item_has_it(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="fries", size="large", quantity=2), ReplaceItem(item="onion_rings"))
    assert (order.lines[0].item, order.lines[0].size, order.lines[0].quantity) == ("onion_rings", "large", 2)


def test_replace_keeps_the_changes_the_new_item_takes_and_drops_the_rest(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="hamburger", modifiers=(_mod("onions", no=True), _mod("bacon"))),
        ReplaceItem(item="crispy_chicken_sandwich", modifiers=(_mod("pickles", no=True),)),
    )
    assert {(m.option, m.negated) for m in order.lines[0].modifiers} == {("bacon", False), ("pickles", True)}


def test_making_a_burger_a_meal_keeps_its_changes(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="cheeseburger", modifiers=(_mod("onions", no=True),)),
        ReplaceItem(item="combo_1"),
    )
    assert [(m.option, m.negated) for m in order.lines[0].modifiers] == [("onions", True)]


def test_replacing_a_meal_with_another_keeps_the_size_and_fills_the_default_side(
    burger: Menu, play: Play
) -> None:
    order, _ = play(burger, AddItem(item="combo_1", size="large"), ReplaceItem(item="combo_2"))
    line = order.lines[0]
    assert (line.item, line.size) == ("combo_2", "large")
    assert _slots(line) == {"side": ("fries", "large"), "drink": (None, None)}
    assert order.state is State.CLARIFYING


def test_replace_with_an_unknown_item_is_rejected_and_keeps_the_line(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), ReplaceItem(item="lobster"))
    assert _rejections(events) == [(RejectReason.UNKNOWN_ITEM, "lobster")]
    assert order.lines[0].item == "hamburger"


def test_a_meal_size_change_resizes_its_side_and_drink(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="combo_1", size="small", slots=(SlotSpec(slot="drink", item="coke"),)),
        SetSize(size="large"),
    )
    assert order.lines[0].size == "large"
    assert _slots(order.lines[0]) == {"side": ("fries", "large"), "drink": ("coke", "large")}


def test_a_meal_size_change_leaves_a_one_size_side_alone(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="combo_9", size="small", slots=(SlotSpec(slot="drink", item="coffee"),)),
        SetSize(size="large"),
        daypart="breakfast",
    )
    assert _slots(order.lines[0]) == {"side": ("hash_browns", None), "drink": ("coffee", "large")}


def test_a_meal_size_change_keeps_the_drink_modifiers(burger: Menu, play: Play) -> None:
    drink = SlotSpec(slot="drink", item="coke", modifiers=(_mod("ice", no=True),))
    order, _ = play(burger, AddItem(item="combo_1", size="small", slots=(drink,)), SetSize(size="medium"))
    fill = order.lines[0].slots[1]
    assert (fill.item, fill.size, fill.modifiers) == (
        "coke",
        "medium",
        (ModifierChoice(group="drink_options", option="ice", negated=True),),
    )


def test_a_slot_choice_may_name_its_own_size(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="combo_1", size="large"), FillSlot(item="coke", size="small"))
    assert _slots(order.lines[0])["drink"] == ("coke", "small")


def test_fill_slot_goes_to_the_most_recent_meal_with_that_slot_open(burger: Menu, play: Play) -> None:
    order, events = play(
        burger,
        AddItem(item="combo_1", size="small", slots=(SlotSpec(slot="drink", item="coke"),)),
        AddItem(item="combo_2", size="medium"),
        FillSlot(item="sprite"),
    )
    assert events == (LineChanged(line=2, what="drink"),)
    assert _slots(order.lines[0])["drink"] == ("coke", "small")
    assert _slots(order.lines[1])["drink"] == ("sprite", "medium")


def test_fill_slot_can_change_a_chosen_side(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="combo_1", size="small", slots=(SlotSpec(slot="drink", item="coke"),)),
        FillSlot(slot="side", item="onion_rings"),
    )
    assert _slots(order.lines[0])["side"] == ("onion_rings", "small")


def test_changing_the_side_while_the_drink_is_still_open_swaps_the_side(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="combo_1", size="large"), FillSlot(item="onion_rings"))
    assert _rejections(events) == []
    assert _slots(order.lines[0])["side"] == ("onion_rings", "large")


def test_a_meal_ordered_with_its_drink_is_complete(burger: Menu, play: Play) -> None:
    order, events = play(
        burger,
        AddItem(
            item="combo_1",
            size="medium",
            slots=(SlotSpec(slot="side", item="onion_rings"), SlotSpec(slot="drink", item="sprite")),
        ),
    )
    assert events == (LineAdded(line=1),)
    assert _slots(order.lines[0]) == {"side": ("onion_rings", "medium"), "drink": ("sprite", "medium")}


# ================================================================ modifier semantics


def test_no_onions_on_a_burger_is_recorded_as_a_removal(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger", modifiers=(_mod("onions", no=True),)))
    assert order.lines[0].modifiers == (
        ModifierChoice(group="burger_toppings", option="onions", negated=True),
    )


def test_asking_for_an_included_topping_records_nothing(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="hamburger"), ModifyLine(modifiers=(_mod("onions"),)))
    assert order.lines[0].modifiers == ()
    assert _summary(events) == ["line_changed"]  # nothing to record, but the line is confirmed


def test_asking_for_a_removed_topping_back_restores_it(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="hamburger", modifiers=(_mod("onions", no=True),)),
        ModifyLine(modifiers=(_mod("onions"),)),
    )
    assert order.lines[0].modifiers == ()


def test_no_bacon_after_adding_bacon_takes_it_off(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger", modifiers=(_mod("bacon"),)))
    assert order.lines[0].modifiers == (ModifierChoice(group="burger_addons", option="bacon"),)
    order, events = play(burger, ModifyLine(modifiers=(_mod("bacon", no=True),)), order=order)
    assert events == (LineChanged(line=1, what="modifiers"),)
    assert order.lines[0].modifiers == ()


def test_a_single_choice_group_replaces_the_previous_choice(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="cheeseburger", modifiers=(_mod("cheddar"),)),
        ModifyLine(modifiers=(_mod("swiss"),)),
    )
    assert order.lines[0].modifiers == (ModifierChoice(group="cheese", option="swiss"),)


def test_extra_of_an_included_topping_is_recorded_with_its_level(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger", modifiers=(_mod("pickles", level=Level.EXTRA),)))
    assert order.lines[0].modifiers == (
        ModifierChoice(group="burger_toppings", option="pickles", level=Level.EXTRA),
    )


def test_a_level_is_ignored_for_an_option_that_has_none(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger", modifiers=(_mod("extra_patty", level=Level.EXTRA),)))
    assert order.lines[0].modifiers == (ModifierChoice(group="burger_addons", option="extra_patty"),)


def test_on_the_side_is_kept_only_for_options_that_can_be_served_on_the_side(
    burger: Menu, play: Play
) -> None:
    order, _ = play(
        burger, AddItem(item="hamburger", modifiers=(_mod("ranch", side=True), _mod("bacon", side=True)))
    )
    assert [(m.option, m.on_side) for m in order.lines[0].modifiers] == [("ranch", True), ("bacon", False)]


def test_a_modifier_for_the_previous_line_by_id(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger,
        AddItem(item="hamburger"),
        AddItem(item="apple_pie"),
        ModifyLine(line=1, modifiers=(_mod("mayo", no=True),)),
    )
    assert order.lines[0].modifiers == (ModifierChoice(group="burger_toppings", option="mayo", negated=True),)
    assert order.lines[1].modifiers == ()


def test_a_meal_takes_the_modifiers_of_its_main_item(burger: Menu, play: Play) -> None:
    order, events = play(burger, AddItem(item="combo_1", size="small", modifiers=(_mod("onions", no=True),)))
    assert _rejections(events) == []
    assert order.lines[0].modifiers == (
        ModifierChoice(group="burger_toppings", option="onions", negated=True),
    )


def test_modifiers_on_a_meal_drink_apply_to_the_drink(burger: Menu, play: Play) -> None:
    drink = SlotSpec(slot="drink", item="chocolate_shake", modifiers=(_mod("malt"),))
    order, _ = play(burger, AddItem(item="combo_1", size="small", slots=(drink,)))
    assert order.lines[0].slots[1].modifiers == (ModifierChoice(group="shake_options", option="malt"),)


# ================================================================ misunderstanding and provenance


def test_three_misunderstandings_in_a_row_hand_off_to_the_crew(burger: Menu, play: Play) -> None:
    order, events = play(burger, *[CannotHandle(text="blorp")] * MAX_FAILED_TURNS)
    assert MAX_FAILED_TURNS == 3
    assert events == (NotUnderstood(text="blorp"), HandedOff(reason="repeated misunderstanding"))
    assert order.state is State.HANDED_OFF


def test_two_misunderstandings_do_not_hand_off(burger: Menu, play: Play) -> None:
    order, events = play(burger, CannotHandle(), CannotHandle())
    assert events == (NotUnderstood(),)
    assert (order.state, order.failed_turns) == (State.GREETING, 2)


def test_a_successful_change_resets_the_misunderstanding_count(burger: Menu, play: Play) -> None:
    order, _ = play(
        burger, CannotHandle(), CannotHandle(), AddItem(item="hamburger"), CannotHandle(), CannotHandle()
    )
    assert order.state is State.TAKING_ORDER
    assert order.failed_turns == 2


def test_a_rejected_command_does_not_reset_the_misunderstanding_count(burger: Menu, play: Play) -> None:
    order, _ = play(burger, CannotHandle(), CannotHandle(), AddItem(item="lobster"), CannotHandle())
    assert order.state is State.HANDED_OFF


def test_lines_remember_which_commands_made_and_changed_them(burger: Menu, play: Play) -> None:
    model = Provenance(
        source=Source.MODEL, name="slm", confidence=0.72, latency_ms=41.0, span="a cheeseburger"
    )
    crew = Provenance(source=Source.CREW, name="crew", span="no pickles")
    order, _ = play(
        burger,
        AddItem(item="cheeseburger", provenance=model),
        ModifyLine(modifiers=(_mod("pickles", no=True),), provenance=crew),
    )
    assert order.lines[0].provenance == (model, crew)


def test_an_accepted_upsell_line_carries_the_provenance_of_the_yes(burger: Menu, play: Play) -> None:
    yes = Provenance(source=Source.MODEL, name="slm", confidence=0.9, span="sure")
    order, _ = play(burger, AddItem(item="hamburger"), Done(), Affirm(provenance=yes))
    assert order.lines[1].provenance == (yes,)


def test_transition_does_not_modify_the_order_it_is_given(burger: Menu) -> None:
    order = new_order()
    snapshot = order.model_copy()
    transition(order, AddItem(item="hamburger"), burger)
    assert order == snapshot
    assert isinstance(order, Order)


def test_thats_all_twice_drops_a_line_whose_default_choice_is_86d(burger: Menu) -> None:
    """The meal's side defaults to fries, and fries are 86'd today: "that's all" twice with the side still
    pending drops the meal (the default cannot go in) instead of trying the default forever."""
    menu = burger.with_availability({"fries"})
    order = new_order()
    for cmd in (AddItem(item="combo_1", size="medium"), FillSlot(line=1, slot="drink", item="coke")):
        order, _ = transition(order, cmd, menu)
    assert order.state is DialogState.CLARIFYING
    order, _ = transition(order, Done(), menu)  # asked again, with the way out
    order, events = transition(order, Done(), menu)
    assert not order.lines and order.state is not DialogState.CLARIFYING
    assert len(events) < 10
