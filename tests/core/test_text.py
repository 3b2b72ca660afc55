"""core/text.py: utterances and lexicon phrases normalised into matching tokens."""

from __future__ import annotations

import pytest

from orderline.core.text import normalize, normalize_phrase, strip_accents


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("A Large COKE", ("a", "large", "coke")),
        ("Café Latte", ("cafe", "latte")),
        ("jalapeño", ("jalapeno",)),
        ("that's it", ("thats", "it")),
        ("that\u2019s it", ("thats", "it")),  # typographic apostrophe
        ("I'd like a 7-up", ("id", "like", "a", "7", "up")),
        ("gluten-free crust", ("gluten", "free", "crust")),
        ("a 7.5 fl oz can", ("a", "7.5", "fl", "oz", "can")),
        ("16.9 fl oz.", ("16.9", "fl", "oz")),
        ("it's $4.99.", ("its", "4.99")),
        ("#1 please", ("number", "1", "please")),
        ("a # 2 and a #10", ("a", "number", "2", "and", "a", "number", "10")),
        ("mac & cheese", ("mac", "and", "cheese")),
        ("fries, coke; pie!", ("fries", "coke", "pie")),
        ("   ", ()),
    ],
)
def test_normalize_makes_tokens_the_lexicon_can_match(text: str, tokens: tuple[str, ...]) -> None:
    assert normalize(text) == tokens


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("um a cheeseburger", ("a", "cheeseburger")),
        ("uh, umm, fries uhh", ("fries",)),
        ("Hmm... a coke, er, large", ("a", "coke", "large")),
    ],
)
def test_normalize_drops_fillers(text: str, tokens: tuple[str, ...]) -> None:
    assert normalize(text) == tokens


def test_normalize_phrase_keeps_fillers_because_a_menu_name_may_contain_one() -> None:
    assert normalize_phrase("Um Bongo") == ("um", "bongo")
    assert normalize("Um Bongo") == ("bongo",)


def test_fillers_are_only_whole_words() -> None:
    assert normalize("umbrella hummus") == ("umbrella", "hummus")


def test_strip_accents_keeps_base_letters() -> None:
    assert strip_accents("crème brûlée") == "creme brulee"


def test_a_menu_name_and_a_spoken_variant_normalise_alike() -> None:
    assert normalize("Dr. Pepper") == normalize("dr pepper")
    assert normalize("Coca-Cola") == normalize("coca cola")
