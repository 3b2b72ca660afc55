"""Words for order lines, shared by replies, readbacks, the chat view and kitchen tickets."""

from __future__ import annotations

from orderline.core.commands import Level
from orderline.menu.schema import Item, Menu
from orderline.order.state import ModifierChoice, OrderLine, SlotFill

_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_words(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def article(noun: str) -> str:
    """ "a" or "an" by sound, roughly: "an extra large pizza", "an Americano", "a Coke"."""
    return "an" if noun[:1].lower() in "aeio" or noun.lower().startswith(("un", "ho")) else "a"


def join_words(parts: list[str], conjunction: str = "and") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def describe_modifier(choice: ModifierChoice, item: Item | None, menu: Menu) -> str:
    found = menu.find_option(item, choice.option) if item is not None else None
    name = found[1].name if found is not None else choice.option.replace("_", " ")
    if choice.negated:
        text = f"no extra {name}" if choice.level is Level.EXTRA else f"no {name}"
    elif choice.level is Level.EXTRA:
        text = f"extra {name}"
    elif choice.level is Level.LIGHT:
        text = f"light {name}"
    elif choice.count > 1:
        unit = found[1].unit if found is not None else None
        if unit and unit.lower() in name.lower().split():
            text = f"{count_words(choice.count)} {_plural(name)}"  # "two extra shots"
        elif unit:
            text = f"{count_words(choice.count)} {_plural(unit)} of {name}"  # "two pumps of vanilla"
        else:
            text = f"{count_words(choice.count)} {_plural(name)}"  # "three sugars"
    elif found is not None and found[1].default:
        text = f"regular {name}"
    else:
        text = name
    return f"{text} on the side" if choice.on_side else text


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun + "s"


def describe_modifiers(mods: tuple[ModifierChoice, ...], item: Item | None, menu: Menu) -> str:
    if not mods:
        return ""
    return "with " + join_words([describe_modifier(m, item, menu) for m in mods])


def _named(item_id: str, size: str | None, menu: Menu) -> str:
    item = menu.item(item_id)
    name = item.name if item is not None else item_id
    return f"{menu.size_name(size)} {name}" if size else name


def describe_slot(fill: SlotFill, menu: Menu) -> str:
    if fill.item is None:
        return f"{fill.slot} to be chosen"
    text = _named(fill.item, fill.size, menu)
    mods = describe_modifiers(fill.modifiers, menu.item(fill.item), menu)
    return f"{text} {mods}" if mods else text


def describe_line(line: OrderLine, menu: Menu, with_quantity: bool = True) -> str:
    """E.g. ``two large Cheeseburger Meals with no onions, with large Fries and a large Coke``."""
    item = menu.item(line.item)
    head = _named(line.item, line.size, menu)
    if line.quantity > 1 and not head.endswith("s"):
        head += "s"  # "two large Cokes"
    if with_quantity:
        head = f"{article(head) if line.quantity == 1 else count_words(line.quantity)} {head}"
    parts = [head]
    mods = describe_modifiers(line.modifiers, item, menu)
    if mods:
        parts.append(mods)
    filled = [describe_slot(f, menu) for f in line.slots if f.item is not None]
    if filled:
        parts.append("with " + join_words(filled))
    return ", ".join(parts) if len(parts) > 2 else " ".join(parts)


def modifier_code(choice: ModifierChoice) -> str:
    """Compact form used in scripts and tickets: ``-onions``, ``+bacon``, ``+mayo=light``, ``+ranch@side``,
    ``-cheese=extra`` ("no extra cheese"), ``+vanilla*2`` (two pumps)."""
    text = ("-" if choice.negated else "+") + choice.option
    if choice.level is not Level.REGULAR:
        text += f"={choice.level.value}"
    if choice.on_side:
        text += "@side"
    if choice.count > 1:
        text += f"*{choice.count}"  # "+vanilla*2": two pumps
    return text
