"""menu/loader.py: the bundled menus load; broken menus fail with a MenuError naming file, path and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderline.core.errors import MenuError
from orderline.menu.loader import load_menu, parse_menu
from orderline.menu.schema import Menu

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MENUS = Path(__file__).resolve().parents[2] / "menus"


def _option_ids(menu: Menu) -> set[str]:
    return {option.id for group in menu.modifier_groups for option in group.options}


def _minimal(**item: object) -> dict[str, object]:
    return {"id": "m", "name": "M", "items": [{"id": "burger", "name": "Burger", "category": "x", **item}]}


# ---------------------------------------------------------------- the bundled menus


@pytest.mark.parametrize("name", ["burger", "coffee", "pizza"])
def test_every_bundled_menu_loads(name: str) -> None:
    menu = load_menu(MENUS / f"{name}.yaml")
    assert menu.items
    assert menu.greeting


def test_burger_menu_is_big_enough_for_a_real_drive_thru(burger: Menu) -> None:
    assert len(burger.items) >= 30
    assert sum(1 for item in burger.items if item.is_combo) >= 6
    assert len(_option_ids(burger)) >= 40


def test_burger_combos_name_their_main_item_and_offer_a_drink(burger: Menu) -> None:
    for combo in (item for item in burger.items if item.is_combo):
        assert burger.item(combo.main or "") is not None
        assert "drink" in {slot.id for slot in combo.slots}


def test_coffee_menu_has_milks_syrups_temperatures_and_sizes(coffee: Menu) -> None:
    options = _option_ids(coffee)
    assert {"whole_milk", "oat_milk", "almond_milk", "skim_milk"} <= options
    assert {"vanilla", "caramel", "hazelnut"} <= options
    assert {"hot", "iced", "extra_hot"} <= options
    assert {"small", "medium", "large"} <= set(coffee.size_index)
    assert {"milk", "syrups", "temperature"} <= set(coffee.group_index)


def test_pizza_menu_has_sizes_toppings_styles_drinks_containers_and_volumes(pizza: Menu) -> None:
    assert {"small", "medium", "large", "extra_large", "party_size"} <= set(pizza.size_index)
    groups = pizza.group_index
    assert len(groups["toppings"].options) >= 40
    assert {"thin_crust", "deep_dish"} <= {o.id for o in groups["crust"].options}
    assert groups["recipe"].name == "style"
    assert {"can", "bottle"} == {o.id for o in groups["container"].options}
    assert {"vol_2_liter", "vol_500_ml"} <= {o.id for o in groups["volume"].options}
    drinks = [item for item in pizza.items if item.category == "drinks"]
    assert len(drinks) >= 10


def test_a_menu_may_mark_items_and_options_86d_in_the_file(burger: Menu, coffee: Menu) -> None:
    assert burger.item_index["pumpkin_spice_shake"].available is False
    assert coffee.group_index["syrups"].option("pumpkin_spice").available is False  # type: ignore[union-attr]


def test_a_small_valid_fixture_menu_loads() -> None:
    menu = load_menu(FIXTURES / "valid_minimal.yaml")
    assert [item.id for item in menu.items] == ["burger", "soda", "meal"]
    assert menu.item_index["meal"].is_combo


# ---------------------------------------------------------------- prices


@pytest.mark.parametrize(
    ("written", "cents"),
    [
        ("4.99", 499),
        (4.99, 499),
        (5, 500),
        ("0", 0),
        (0.1, 10),
        (2.675, 268),  # a float written in YAML is read as its decimal text, not its binary value
        ("0.005", 1),  # half a cent rounds up
        (19.99, 1999),
    ],
)
def test_prices_are_read_as_exact_integer_cents(written: object, cents: int) -> None:
    assert parse_menu(_minimal(price=written)).items[0].price == cents


def test_size_prices_and_upcharges_are_in_cents_too() -> None:
    menu = load_menu(FIXTURES / "valid_minimal.yaml")
    assert menu.item_index["soda"].sizes == {"small": 100, "large": 150}
    assert menu.item_index["burger"].price == 499
    assert menu.group_index["toppings"].option("bacon").price == 125  # type: ignore[union-attr]


@pytest.mark.parametrize("written", ["abc", True, "nan"])
def test_a_price_that_is_not_a_number_is_a_menu_error(written: object) -> None:
    with pytest.raises(MenuError) as caught:
        parse_menu(_minimal(price=written), "inline.yaml")
    assert "items[0].price" in str(caught.value)


def test_an_absurdly_large_price_is_a_menu_error_not_a_crash() -> None:
    with pytest.raises(MenuError) as caught:
        parse_menu(_minimal(price="1e30"), "inline.yaml")
    assert caught.value.problems[0].startswith("items[0].price:")


def test_an_infinite_price_in_a_file_is_a_menu_error(tmp_path: Path) -> None:
    path = tmp_path / "inf.yaml"
    path.write_text(
        "id: m\nname: M\nitems:\n  - {id: a, name: A, category: x, price: .inf}\n", encoding="utf-8"
    )
    with pytest.raises(MenuError) as caught:
        load_menu(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0].startswith("items[0].price:")


# ---------------------------------------------------------------- invalid menus


@pytest.mark.parametrize(
    ("fixture", "where", "problem"),
    [
        ("not_yaml.yaml", "line 5, column 1", "not valid YAML"),
        ("not_a_mapping.yaml", "<root>", "must be a mapping"),
        ("missing_items.yaml", "items", "Field required"),
        ("negative_price.yaml", "items[1].price", "greater than or equal to 0"),
        ("unknown_group.yaml", "items[0] (burger).modifier_groups", "unknown modifier group 'sauces'"),
        ("bad_default_size.yaml", "items[0] (soda).default_size", "'medium' is not one of the item's sizes"),
        ("unknown_slot_choice.yaml", "items[2] (meal).slots[0].choices", "unknown item 'onion_rings'"),
        ("duplicate_item.yaml", "items", "duplicate item id 'burger'"),
        ("min_over_max.yaml", "modifier_groups[1]", "min (2) is greater than max (1)"),
        ("unknown_size.yaml", "items[0] (soda).sizes.huge", "unknown size"),
        ("unknown_upsell.yaml", "upsells[0].offer", "unknown item 'milkshake'"),
    ],
)
def test_an_invalid_menu_fails_naming_file_path_and_problem(fixture: str, where: str, problem: str) -> None:
    path = FIXTURES / fixture
    with pytest.raises(MenuError) as caught:
        load_menu(path)
    error = caught.value
    assert error.source == str(path)
    assert str(path) in str(error)
    assert any(p.startswith(f"{where}:") and problem in p for p in error.problems), error.problems


def test_a_missing_menu_file_is_a_menu_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(MenuError) as caught:
        load_menu(path)
    assert caught.value.source == str(path)
    assert caught.value.problems == ["cannot read file: No such file or directory"]


def test_an_unreadable_menu_path_is_a_menu_error(tmp_path: Path) -> None:
    with pytest.raises(MenuError) as caught:
        load_menu(tmp_path)  # a directory cannot be read as a file
    assert caught.value.problems[0].startswith("cannot read file:")


def test_a_menu_file_that_is_not_utf8_is_a_menu_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: m\nname: Caf\xe9\nitems: []\n".encode("latin-1"))
    with pytest.raises(MenuError) as caught:
        load_menu(path)
    assert caught.value.source == str(path)
    assert "UTF-8" in str(caught.value)


def test_an_empty_menu_file_is_a_menu_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(MenuError, match="must be a mapping"):
        load_menu(path)


def test_every_problem_of_a_menu_is_reported_at_once() -> None:
    data = {
        "id": "m",
        "name": "M",
        "items": [
            {"id": "a", "name": "A", "category": "x", "modifier_groups": ["nope"]},
            {"id": "a", "name": "B", "category": "x", "dayparts": ["brunch"]},
        ],
        "upsells": [{"offer": "ghost", "prompt": "?"}],
    }
    with pytest.raises(MenuError) as caught:
        parse_menu(data, "many.yaml")
    problems = "\n".join(caught.value.problems)
    assert "duplicate item id 'a'" in problems
    assert "unknown modifier group 'nope'" in problems
    assert "unknown daypart 'brunch'" in problems
    assert "unknown item 'ghost'" in problems


def test_a_combo_without_a_main_item_is_rejected() -> None:
    data = _minimal(slots=[{"id": "side", "name": "side", "choices": ["burger"]}])
    with pytest.raises(MenuError, match=r"items\[0\] \(burger\)\.main: a combo .* needs a main item"):
        parse_menu(data)


def test_an_unknown_category_is_rejected_when_categories_are_declared() -> None:
    data = {**_minimal(), "categories": ["burgers"]}
    with pytest.raises(MenuError, match=r"items\[0\] \(burger\)\.category: unknown category 'x'"):
        parse_menu(data)


def test_an_option_in_two_groups_of_one_item_is_rejected() -> None:
    data = {
        "id": "m",
        "name": "M",
        "modifier_groups": [
            {"id": "a", "name": "a", "options": [{"id": "onions", "name": "onions"}]},
            {"id": "b", "name": "b", "options": [{"id": "onions", "name": "onions"}]},
        ],
        "items": [{"id": "burger", "name": "Burger", "category": "x", "modifier_groups": ["a", "b"]}],
    }
    with pytest.raises(MenuError, match="option 'onions' is in both 'a' and 'b'"):
        parse_menu(data)


def test_unknown_fields_are_rejected_so_typos_do_not_pass_silently() -> None:
    with pytest.raises(MenuError, match=r"items\[0\]\.prise"):
        parse_menu(_minimal(prise=4.99))
