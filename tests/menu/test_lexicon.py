"""menu/lexicon.py: every way a customer may name an item, option or size."""

from __future__ import annotations

import pytest

from orderline.core.text import normalize_phrase
from orderline.menu.lexicon import EntityKind, Entry, MenuLexicon, build_lexicon, inflections, variants
from orderline.menu.loader import parse_menu
from orderline.menu.schema import Menu


def _ids(lexicon: MenuLexicon, phrase: str, kind: EntityKind | None = None) -> set[str]:
    return {e.id for e in lexicon.phrases.get(normalize_phrase(phrase), ()) if kind is None or e.kind == kind}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("tomato", {"tomatoes"}),
        ("cherry", {"cherries"}),
        ("fries", {"fry"}),
        ("fry", {"fries"}),
        ("berries", {"berry"}),
        ("peach", {"peaches"}),
        ("nuggets", {"nugget"}),
        ("latte", {"lattes"}),
        ("day", {"days"}),
        ("dishes", {"dish"}),
    ],
)
def test_inflections_give_the_usual_singular_or_plural(word: str, expected: set[str]) -> None:
    assert expected <= inflections(word)
    assert word not in inflections(word)


@pytest.mark.parametrize("word", ["ox", "7up", "12", "a"])
def test_short_or_non_alphabetic_words_are_not_inflected(word: str) -> None:
    assert inflections(word) == set()


def test_a_word_ending_in_double_s_is_not_singularised_by_dropping_an_s() -> None:
    assert "glas" not in inflections("glass")


def test_variants_inflect_the_last_word_and_run_words_together() -> None:
    assert variants(("cherry", "tomato")) >= {("cherry", "tomatoes"), ("cherrytomato",)}
    assert ("cherries", "tomato") not in variants(("cherry", "tomato"))


def test_variants_never_include_the_phrase_itself() -> None:
    assert ("fries",) not in variants(("fries",))
    assert variants(()) == set()


def test_a_generated_variant_never_shadows_a_phrase_written_down_for_another_entity() -> None:
    menu = parse_menu(
        {
            "id": "m",
            "name": "M",
            "items": [
                {"id": "chips", "name": "Chips", "category": "sides", "price": 1},
                {"id": "chip_dip", "name": "Chip Dip", "category": "sides", "aliases": ["chip"], "price": 2},
            ],
        }
    )
    lexicon = build_lexicon(menu)
    assert lexicon.phrases[("chip",)] == (Entry(EntityKind.ITEM, "chip_dip"),)
    assert lexicon.phrases[("chips",)] == (Entry(EntityKind.ITEM, "chips"),)


def test_a_phrase_written_down_later_replaces_a_generated_one() -> None:
    lexicon = MenuLexicon()
    lexicon.add(("chip",), Entry(EntityKind.ITEM, "chips", explicit=False))
    lexicon.add(("chip",), Entry(EntityKind.ITEM, "chip_dip"))
    assert lexicon.phrases[("chip",)] == (Entry(EntityKind.ITEM, "chip_dip"),)


def test_two_entities_may_share_a_written_phrase_and_both_are_kept() -> None:
    lexicon = MenuLexicon()
    lexicon.add(("cheese",), Entry(EntityKind.OPTION, "cheese"))
    lexicon.add(("cheese",), Entry(EntityKind.ITEM, "cheese_pizza"))
    lexicon.add(("cheese",), Entry(EntityKind.OPTION, "cheese"))  # a repeat is ignored
    assert lexicon.phrases[("cheese",)] == (
        Entry(EntityKind.OPTION, "cheese"),
        Entry(EntityKind.ITEM, "cheese_pizza"),
    )


def test_an_empty_phrase_is_not_added() -> None:
    lexicon = MenuLexicon()
    lexicon.add((), Entry(EntityKind.ITEM, "x"))
    assert lexicon.phrases == {}
    assert lexicon.max_len == 1


def test_the_burger_lexicon_understands_plurals_and_singulars(burger: Menu) -> None:
    lexicon = build_lexicon(burger)
    assert _ids(lexicon, "fry", EntityKind.ITEM) == {"fries"}
    assert _ids(lexicon, "fries", EntityKind.ITEM) == {"fries"}
    assert _ids(lexicon, "cheeseburgers", EntityKind.ITEM) == {"cheeseburger"}
    assert _ids(lexicon, "apple pies", EntityKind.ITEM) == {"apple_pie"}
    assert _ids(lexicon, "tomatoes", EntityKind.OPTION) == {"tomato"}
    assert _ids(lexicon, "cherries", EntityKind.OPTION) == {"cherry"}


def test_the_pizza_lexicon_understands_a_singular_topping(pizza: Menu) -> None:
    lexicon = build_lexicon(pizza)
    assert _ids(lexicon, "tomato", EntityKind.OPTION) == {"tomatoes"}
    assert _ids(lexicon, "mushroom", EntityKind.OPTION) == {"mushrooms"}


def test_sizes_are_in_the_lexicon_with_their_aliases(coffee: Menu) -> None:
    lexicon = build_lexicon(coffee)
    assert _ids(lexicon, "venti", EntityKind.SIZE) == {"large"}
    assert _ids(lexicon, "tall", EntityKind.SIZE) == {"small"}


def test_pronunciations_are_in_the_lexicon(burger: Menu) -> None:
    assert _ids(build_lexicon(burger), "she's burger", EntityKind.ITEM) == {"cheeseburger"}


@pytest.mark.parametrize("name", ["burger", "coffee", "pizza"])
def test_every_item_name_and_alias_of_a_menu_is_in_its_lexicon(
    name: str, request: pytest.FixtureRequest
) -> None:
    menu: Menu = request.getfixturevalue(name)
    lexicon = build_lexicon(menu)
    for item in menu.items:
        for phrase in (item.name, *item.aliases):
            entries = lexicon.phrases.get(normalize_phrase(phrase), ())
            assert Entry(EntityKind.ITEM, item.id) in entries, (item.id, phrase)


@pytest.mark.parametrize("name", ["burger", "coffee", "pizza"])
def test_no_generated_variant_is_mixed_with_a_written_phrase(
    name: str, request: pytest.FixtureRequest
) -> None:
    lexicon = build_lexicon(request.getfixturevalue(name))
    for phrase, entries in lexicon.phrases.items():
        assert len({e.explicit for e in entries}) == 1, phrase
