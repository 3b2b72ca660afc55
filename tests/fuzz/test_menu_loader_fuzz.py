"""Fuzzing the menu loader: any file or decoded document either loads as a Menu whose references resolve,
or raises MenuError naming the source and at least one problem; nothing else."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fuzz_strategies import Json, edited_text, json_values, mutated
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orderline.core.errors import MenuError
from orderline.menu.loader import load_menu, parse_menu
from orderline.menu.schema import Menu

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# A small menu with every kind of cross-reference (sizes, categories, dayparts, groups, a combo's main,
# slots, defaults, upcharges, upsells), so structural edits hit each check of the loader.
SMALL_MENU = """\
id: mini
name: Mini Diner
tax_rate: 0.05
limits: {max_quantity_per_line: 10, max_lines: 12}
sizes:
  - {id: small, name: small, aliases: [kids]}
  - {id: large, name: large}
categories: [burgers, drinks, combos]
dayparts:
  - {id: lunch, start: "10:30", end: "23:00"}
modifier_groups:
  - id: toppings
    name: toppings
    max: 2
    options:
      - &onions {id: onions, name: onions, default: true, aliases: [onion]}
      - {id: bacon, name: bacon, price: 1.25, extra_price: 2.00, side: true}
  - id: sauces
    name: sauces
    min: 0
    max: 1
    options:
      - {id: ranch, name: ranch, side: true, levels: true}
items:
  - {id: burger, name: Burger, category: burgers, price: "4.99", modifier_groups: [toppings, sauces], dayparts: [lunch]}
  - {id: soda, name: Soda, category: drinks, sizes: {small: 1.00, large: 1.50}, default_size: small}
  - id: meal
    name: Burger Meal
    category: combos
    main: burger
    price: 6.50
    sizes: {small: 6.50, large: 7.50}
    slots:
      - {id: drink, name: drink, choices: [soda], default: soda, upcharges: {soda: 0.25}}
upsells:
  - {when_category: burgers, unless_category: drinks, offer: soda, prompt: "A soda with that?"}
"""
SMALL_DOC: Json = yaml.safe_load(SMALL_MENU)
KEYS = (
    "id",
    "name",
    "items",
    "sizes",
    "categories",
    "dayparts",
    "modifier_groups",
    "options",
    "main",
    "slots",
    "choices",
    "default",
    "default_size",
    "upcharges",
    "price",
    "category",
    "offer",
    "when_category",
    "max",
    "min",
)
# YAML that PyPyaml's constructors turn into plain Python errors rather than YAMLError.
BAD_SCALARS = (
    "a: 2001-02-30",  # ValueError: day is out of range for month
    "a: !!int x",  # ValueError
    "a: !!float x",  # ValueError
    "a: !!timestamp x",  # AttributeError
    "a: !!int _",  # IndexError
    "a: !!float _",  # IndexError
    "a: !!bool x",  # KeyError
    "a: 2001-12-14t21:59:43.10-25:00",  # ValueError: offset out of range
    "[" * 2000,  # RecursionError
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def check_parsed(data: Json) -> None:
    try:
        menu = parse_menu(data, "fuzz.yaml")
    except MenuError as exc:
        checked_error(exc, "fuzz.yaml")
        return
    checked_menu(menu)


def check_file(folder: Path, content: str | bytes) -> None:
    path = folder / "menu.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        menu = load_menu(path)
    except MenuError as exc:
        checked_error(exc, str(path))
        return
    checked_menu(menu)


def checked_error(exc: MenuError, source: str) -> None:
    assert exc.source == source
    assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


def checked_menu(menu: Menu) -> None:
    """A loaded menu's references resolve (what the order machine relies on)."""
    assert isinstance(menu, Menu)
    for item in menu.items:
        assert set(item.sizes) <= set(menu.size_index)
        assert all(g in menu.group_index for g in item.modifier_groups)
        assert item.main is None or item.main in menu.item_index
        for slot in item.slots:
            assert set(slot.choices) <= set(menu.item_index)


def test_the_small_menu_loads(folder: Path) -> None:
    check_file(folder, SMALL_MENU)
    assert parse_menu(SMALL_DOC).item("meal") is not None


@FUZZ
@given(json_values)
@example({"id": "a", "name": "b", "items": [], 1: 2})
def test_random_documents(data: Json) -> None:
    check_parsed(data)


@FUZZ
@given(mutated(SMALL_DOC, max_edits=4, keys=KEYS))
def test_mutated_documents(data: Json) -> None:
    check_parsed(data)


@FUZZ
@given(edited_text(SMALL_MENU, max_edits=6))
@example(SMALL_MENU.replace('"10:30"', "2001-02-30"))  # regression: ValueError from PyYAML's date constructor
@example(SMALL_MENU.replace("tax_rate: 0.05", "tax_rate: !!float x"))  # regression: ValueError
def test_edited_yaml(folder: Path, text: str) -> None:
    check_file(folder, text)


@FUZZ
@given(st.text() | st.sampled_from(BAD_SCALARS))
@example("&a [*a]")
@example("&a {id: x, name: y, items: *a}")  # a document that contains itself
def test_random_yaml_text(folder: Path, text: str) -> None:
    check_file(folder, text)


@FUZZ
@given(st.binary(max_size=200))
@example(b"\xff\xfe")
def test_random_bytes(folder: Path, content: bytes) -> None:
    check_file(folder, content)


@FUZZ
@given(mutated(SMALL_DOC, max_edits=3, keys=KEYS))
def test_dumped_documents(folder: Path, data: Json) -> None:
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, UnicodeEncodeError, ValueError):
        return  # PyYAML cannot write it (a lone surrogate, an int past the str limit): nothing to load
    check_file(folder, text)
