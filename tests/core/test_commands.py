"""core/commands.py: the closed set of typed commands understanding may propose."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from orderline.core.commands import AddItem, Command, Handoff, Level, ModifierSpec, SetQuantity, Undo
from orderline.core.provenance import RULE, Provenance, Source

COMMAND = TypeAdapter(Command)


def test_a_command_is_read_from_plain_data_by_its_kind() -> None:
    command = COMMAND.validate_python(
        {
            "kind": "add",
            "item": "cheeseburger",
            "quantity": 2,
            "modifiers": [{"option": "onions", "negated": True}],
        }
    )
    assert command == AddItem(
        item="cheeseburger", quantity=2, modifiers=(ModifierSpec(option="onions", negated=True),)
    )


def test_an_unknown_command_kind_is_refused() -> None:
    with pytest.raises(ValidationError):
        COMMAND.validate_python({"kind": "teleport"})


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_refused(quantity: int) -> None:
    with pytest.raises(ValidationError):
        AddItem(item="fries", quantity=quantity)
    with pytest.raises(ValidationError):
        SetQuantity(quantity=quantity)


def test_unexpected_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        AddItem(item="fries", colour="red")  # type: ignore[call-arg]


def test_commands_are_immutable() -> None:
    command = AddItem(item="fries")
    with pytest.raises(ValidationError):
        command.item = "coke"  # type: ignore[misc]


def test_a_command_comes_from_a_rule_unless_told_otherwise() -> None:
    assert Undo().provenance == RULE
    model = Provenance(source=Source.MODEL, name="slm", confidence=0.6)
    assert AddItem(item="fries", provenance=model).provenance.source is Source.MODEL


def test_a_modifier_is_regular_and_on_the_item_by_default() -> None:
    spec = ModifierSpec(option="mayo")
    assert (spec.level, spec.negated, spec.on_side) == (Level.REGULAR, False, False)


def test_a_handoff_says_why() -> None:
    assert Handoff().reason == "customer asked for a person"


def test_provenance_confidence_is_a_probability() -> None:
    with pytest.raises(ValidationError):
        Provenance(confidence=1.5)
