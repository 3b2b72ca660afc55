"""Load a menu from YAML into a frozen :class:`Menu`, with errors that name file, path and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from orderline.core.errors import MenuError
from orderline.menu.schema import Menu


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def _cross_check(menu: Menu) -> list[str]:
    """Checks that span entities: references resolve, ids are unique, defaults are possible."""
    problems: list[str] = []
    size_ids = set(menu.size_index)
    cats = set(menu.categories)
    dayparts = {d.id for d in menu.dayparts}
    item_ids = [i.id for i in menu.items]
    for dupe in sorted({i for i in item_ids if item_ids.count(i) > 1}):
        problems.append(f"items: duplicate item id '{dupe}'")
    group_ids = [g.id for g in menu.modifier_groups]
    for dupe in sorted({g for g in group_ids if group_ids.count(g) > 1}):
        problems.append(f"modifier_groups: duplicate group id '{dupe}'")
    known_items = set(item_ids)
    for n, item in enumerate(menu.items):
        where = f"items[{n}] ({item.id})"
        if cats and item.category not in cats:
            problems.append(f"{where}.category: unknown category '{item.category}'")
        for size in item.sizes:
            if size not in size_ids:
                problems.append(f"{where}.sizes.{size}: unknown size (declare it under sizes)")
        if item.default_size is not None and item.default_size not in item.sizes:
            problems.append(f"{where}.default_size: '{item.default_size}' is not one of the item's sizes")
        for g in item.modifier_groups:
            if g not in menu.group_index:
                problems.append(f"{where}.modifier_groups: unknown modifier group '{g}'")
        seen: dict[str, str] = {}
        for group in menu.groups_for(item):
            for option in group.options:
                if option.id in seen and seen[option.id] != group.id:
                    problems.append(
                        f"{where}.modifier_groups: option '{option.id}' is in both "
                        f"'{seen[option.id]}' and '{group.id}'"
                    )
                seen[option.id] = group.id
        for d in item.dayparts:
            if d not in dayparts:
                problems.append(f"{where}.dayparts: unknown daypart '{d}'")
        if item.main is not None and item.main not in known_items:
            problems.append(f"{where}.main: unknown item '{item.main}'")
        if item.slots and item.main is None:
            problems.append(f"{where}.main: a combo (an item with slots) needs a main item")
        for s, slot in enumerate(item.slots):
            for choice in slot.choices:
                if choice not in known_items:
                    problems.append(f"{where}.slots[{s}].choices: unknown item '{choice}'")
            if slot.default is not None and slot.default not in slot.choices:
                problems.append(f"{where}.slots[{s}].default: '{slot.default}' is not one of the choices")
            for up in slot.upcharges:
                if up not in slot.choices:
                    problems.append(f"{where}.slots[{s}].upcharges: '{up}' is not one of the choices")
    for n, rule in enumerate(menu.upsells):
        if rule.offer not in known_items:
            problems.append(f"upsells[{n}].offer: unknown item '{rule.offer}'")
        for field in (rule.when_category, rule.unless_category):
            if field is not None and cats and field not in cats:
                problems.append(f"upsells[{n}]: unknown category '{field}'")
    return problems


def parse_menu(data: Any, source: str = "<memory>") -> Menu:
    """Validate a decoded YAML/JSON document into a :class:`Menu`.

    Raises:
        MenuError: naming ``source``, the path inside the document and each problem.
    """
    if not isinstance(data, dict):
        raise MenuError(source, ["<root>: a menu must be a mapping with 'id', 'name' and 'items'"])
    try:
        menu = Menu.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_format_loc(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise MenuError(source, problems) from None
    problems = _cross_check(menu)
    if problems:
        raise MenuError(source, problems)
    return menu


def load_menu(path: str | Path) -> Menu:
    """Read and validate a menu YAML file.

    Raises:
        MenuError: the file is missing, is not YAML, or does not describe a valid menu.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise MenuError(str(p), [f"cannot read file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise MenuError(str(p), [f"byte {exc.start}: the file is not UTF-8 text"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "<yaml>"
        raise MenuError(str(p), [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    except (ValueError, TypeError, AttributeError, LookupError, ArithmeticError, RecursionError) as exc:
        # PyYAML's constructors let plain Python errors out for some scalars ("2001-02-30", "!!int x",
        # "!!int _", "!!bool x", "!!timestamp x"), and nesting past the recursion limit
        raise MenuError(str(p), [f"<yaml>: not valid YAML ({type(exc).__name__}: {exc})"]) from None
    return parse_menu(data, str(p))
