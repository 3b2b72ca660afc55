"""order/replies.py: what the engine says after each turn."""

from __future__ import annotations

from collections.abc import Callable

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
    ModifierSpec,
    ModifyLine,
    RemoveLine,
    SetQuantity,
    SetSize,
    SlotSpec,
    Undo,
)
from orderline.core.events import ClarificationNeeded, Event, Rejected, RejectReason
from orderline.menu.schema import Menu
from orderline.order.machine import new_order, transition
from orderline.order.replies import plan_reply, question, readback
from orderline.order.state import Order

Play = Callable[..., tuple[Order, tuple[Event, ...]]]


def _reply(menu: Menu, play: Play, *commands: Command, daypart: str | None = None) -> str:
    """The reply to the last of ``commands``."""
    *setup, last = commands
    before, _ = play(menu, *setup, daypart=daypart)
    after, events = transition(before, last, menu)
    return plan_reply(before, after, events, menu)


def test_the_greeting_is_said_when_nothing_has_happened(burger: Menu) -> None:
    order = new_order()
    assert plan_reply(order, order, (), burger) == "Welcome to Burger Barn! What can I get for you today?"


def test_an_added_item_is_confirmed_and_the_customer_asked_for_more(burger: Menu, play: Play) -> None:
    assert _reply(burger, play, AddItem(item="hamburger")) == "Okay, a Hamburger. Anything else?"


def test_a_change_is_confirmed_with_the_whole_line(burger: Menu, play: Play) -> None:
    reply = _reply(
        burger,
        play,
        AddItem(item="cheeseburger"),
        ModifyLine(modifiers=(ModifierSpec(option="onions", negated=True),)),
    )
    assert reply == "Okay, a Cheeseburger with no onions. Anything else?"


def test_a_quantity_change_is_confirmed_in_words(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="fries", size="large"), SetQuantity(quantity=3))
    assert reply == "Okay, three large Fries. Anything else?"


def test_a_missing_size_is_asked_for_with_the_choices(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="fries"))
    assert reply == "Okay, a Fries. What size would you like for the Fries: small, medium or large?"
    assert "Anything else?" not in reply


def test_a_missing_drink_is_asked_for_with_at_most_six_choices(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="combo_1", size="large"))
    assert reply.endswith(
        "Which drink would you like with the Number 1 Cheeseburger Meal: "
        "Coke, Diet Coke, Sprite, Dr Pepper, Lemonade or Sweet Tea?"
    )


def test_a_missing_required_choice_is_asked_for_by_its_group_name(coffee: Menu, play: Play) -> None:
    reply = _reply(coffee, play, AddItem(item="bacon_egg_cheese_sandwich"), daypart="breakfast")
    assert reply.endswith(
        "Which bread would you like for the Bacon Egg and Cheese Sandwich: "
        "English muffin, biscuit, croissant bun or sourdough toast?"
    )


def test_only_one_clarifying_question_is_asked_at_a_time(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="fries"), AddItem(item="coke"))
    assert reply.count("?") == 1
    assert "for the Fries" in reply
    assert "Coke:" not in reply


def test_given_two_missing_choices_the_reply_asks_only_the_first(burger: Menu, play: Play) -> None:
    before, _ = play(burger, AddItem(item="fries"), AddItem(item="coke"))
    events = (
        ClarificationNeeded(line=1, choice="size", target="fries", options=("small", "large")),
        ClarificationNeeded(line=2, choice="size", target="coke", options=("small", "large")),
    )
    reply = plan_reply(before, before, events, burger)
    assert reply == "What size would you like for the Fries: small or large?"


def test_the_next_question_follows_once_the_first_is_answered(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="fries"), AddItem(item="coke"), SetSize(line=1, size="small"))
    assert reply == "Okay, a small Fries. What size would you like for the Coke: small, medium or large?"


def test_the_upsell_prompt_is_said_as_written(burger: Menu, play: Play) -> None:
    assert _reply(burger, play, AddItem(item="hamburger"), Done()) == "Would you like a drink with that?"


def test_the_readback_lists_every_line_and_the_total(burger: Menu, play: Play) -> None:
    reply = _reply(
        burger,
        play,
        AddItem(item="hamburger"),
        AddItem(item="fries", size="large", quantity=2),
        AddItem(item="combo_1", size="medium", slots=(SlotSpec(slot="drink", item="sprite"),)),
        Done(),
        Deny(),
    )
    assert reply == (
        "I have a Hamburger, two large Fries and a medium Number 1 Cheeseburger Meal "
        "with medium Fries and medium Sprite. Your total is $19.23. Is that correct?"
    )


def test_readback_alone_has_no_question(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="hamburger"))
    assert readback(order, burger) == "I have a Hamburger. Your total is $3.78."


def test_submitting_thanks_the_customer_with_the_total(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="hamburger"), Done(), Deny(), Confirm())
    assert reply == "Thank you! Your total is $3.78. Please pull forward."


def test_accepting_an_upsell_that_needs_nothing_more_reads_the_order_back(coffee: Menu, play: Play) -> None:
    reply = _reply(coffee, play, AddItem(item="latte", size="large"), Done(), Affirm())
    assert reply == (
        "Okay, a Butter Croissant. I have a large Latte and a Butter Croissant. "
        "Your total is $9.47. Is that correct?"
    )


def test_denying_the_readback_asks_only_what_to_change(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="hamburger"), Done(), Deny(), Deny())
    assert reply == "Sorry about that. What would you like to change?"


def test_an_empty_order_is_not_followed_by_anything_else(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="hamburger"), ClearOrder(), Done())
    assert reply == "Your order is empty so far. What can I get for you?"


@pytest.mark.parametrize(
    ("commands", "text"),
    [
        ((AddItem(item="lobster"),), "Sorry, we don't have that on our menu."),
        (
            (AddItem(item="pumpkin_spice_shake", size="small"),),
            "Sorry, Pumpkin Spice Shake is not available right now.",
        ),
        (
            (AddItem(item="fries", size="small"), SetSize(size="jumbo")),
            "Sorry, we don't have Fries in jumbo.",
        ),
        (
            (AddItem(item="hamburger", quantity=25),),
            "Sorry, I can only put at most 20 Hamburger on one order.",
        ),
        ((RemoveLine(line=4),), "Sorry, I couldn't find that in your order."),
        ((Undo(),), "There's nothing to undo."),
        (
            (AddItem(item="hamburger"), ModifyLine(modifiers=(ModifierSpec(option="whipped_cream"),))),
            "Sorry, we can't do",
        ),
        (
            (
                AddItem(
                    item="hamburger",
                    modifiers=tuple(
                        ModifierSpec(option=s) for s in ("ranch", "bbq_sauce", "barn_sauce", "buffalo_sauce")
                    ),
                ),
            ),
            "Sorry, you can choose at most 3 sauces.",
        ),
        ((AddItem(item="hamburger"), Cancel(), AddItem(item="fries")), "This order is already cancelled."),
    ],
    ids=[
        "unknown_item",
        "unavailable",
        "unknown_size",
        "quantity_cap",
        "unknown_line",
        "nothing_to_undo",
        "unknown_option",
        "too_many_choices",
        "order_closed",
    ],
)
def test_a_rejection_says_why(burger: Menu, play: Play, commands: tuple[Command, ...], text: str) -> None:
    assert text in _reply(burger, play, *commands)


def test_an_out_of_daypart_rejection_names_the_item(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="pancakes"), daypart="lunch_dinner")
    assert reply == "Sorry, Pancakes is not served at this time of day."


def test_an_86d_item_is_refused_by_name(burger_86: Menu, play: Play) -> None:
    assert (
        _reply(burger_86, play, AddItem(item="coke", size="small"))
        == "Sorry, Coke is not available right now."
    )


def test_a_rejected_fill_is_followed_by_the_open_question_again(burger: Menu, play: Play) -> None:
    reply = _reply(burger, play, AddItem(item="combo_1", size="large"), FillSlot(item="apple_pie"))
    assert reply.startswith("Sorry,")
    assert (
        "is not one of the choices. Which drink would you like with the Number 1 Cheeseburger Meal" in reply
    )


def test_the_same_sentence_is_not_said_twice(burger: Menu, play: Play) -> None:
    before = new_order()
    twice = (Rejected(reason=RejectReason.UNKNOWN_ITEM), Rejected(reason=RejectReason.UNKNOWN_ITEM))
    assert plan_reply(before, before, twice, burger) == "Sorry, we don't have that on our menu."


def test_a_yes_with_nothing_to_agree_to_just_asks_for_more(burger: Menu, play: Play) -> None:
    assert _reply(burger, play, AddItem(item="hamburger"), Affirm()) == "Anything else?"


@pytest.mark.parametrize(
    ("commands", "text"),
    [
        (
            (AddItem(item="hamburger"), AddItem(item="apple_pie"), RemoveLine()),
            "Okay, I removed the Apple Pie. Anything else?",
        ),
        ((AddItem(item="hamburger"), Undo()), "Okay, I undid that. Anything else?"),
        ((AddItem(item="hamburger"), ClearOrder()), "Okay, I've cleared your order. Anything else?"),
        ((AddItem(item="hamburger"), Cancel()), "Okay, I've cancelled your order."),
        ((Handoff(),), "Let me get a team member to help you."),
        ((CannotHandle(text="blorp"),), "Sorry, I didn't catch that. Could you say it again?"),
        (
            (CannotHandle(), CannotHandle(), CannotHandle()),
            "Sorry, I didn't catch that. Could you say it again? Let me get a team member to help you.",
        ),
    ],
    ids=["removed", "undone", "cleared", "cancelled", "handoff", "not_understood", "handoff_after_three"],
)
def test_each_outcome_has_its_sentence(
    burger: Menu, play: Play, commands: tuple[Command, ...], text: str
) -> None:
    assert _reply(burger, play, *commands) == text


def test_a_question_names_the_item_of_its_line(burger: Menu, play: Play) -> None:
    order, _ = play(burger, AddItem(item="onion_rings"))
    event = ClarificationNeeded(line=1, choice="size", target="onion_rings", options=("small", "large"))
    assert question(event, order, burger) == "What size would you like for the Onion Rings: small or large?"
