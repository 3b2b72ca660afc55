"""dialog/hearing.py: whether the words so far make a whole turn."""

from __future__ import annotations

from orderline.core.commands import AddItem
from orderline.dialog.hearing import sounds_complete
from orderline.nlu.coverage import Coverage, Span, Understanding


def test_sounds_complete() -> None:
    def understanding(text: str, commands: bool = True, unknown: bool = False) -> Understanding:
        spans = (Span(start=0, end=1, text="x"),) if unknown else ()
        return Understanding(
            text=text,
            commands=(AddItem(item="coke"),) if commands else (),
            coverage=Coverage(tokens=tuple(text.split()), unknown=spans),
        )

    assert sounds_complete(understanding("a large coke"))
    assert not sounds_complete(understanding("a large coke and"))
    assert not sounds_complete(understanding("a large coke with no"))
    assert not sounds_complete(understanding("a large coke", unknown=True))
    assert not sounds_complete(understanding("um", commands=False))
