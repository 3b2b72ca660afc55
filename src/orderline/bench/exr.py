"""The PIZZA benchmark's EXR tree format: export an order, parse a tree, compare unordered.

``(ORDER (PIZZAORDER (NUMBER 1 ) (SIZE LARGE ) (TOPPING HAM ) ) (DRINKORDER ...) )``. The menu's
``code`` fields carry the external names; group codes say which node a modifier becomes.
"""

from __future__ import annotations

from collections.abc import Sequence

from orderline.core.commands import Level
from orderline.menu.schema import Menu
from orderline.order.state import ModifierChoice, Order, OrderLine

Tree = tuple[str, tuple["Tree | str", ...]]


def _node(label: str, *children: str) -> str:
    return f"({label} {' '.join(children)} )"


def _option_code(menu: Menu, choice: ModifierChoice) -> tuple[str, str]:
    group = menu.group_index[choice.group]
    option = group.option(choice.option)
    code = option.code if option is not None and option.code else choice.option.upper()
    return (group.code or group.id.upper()), code


def _modifier(menu: Menu, choice: ModifierChoice) -> str | None:
    kind, code = _option_code(menu, choice)
    if kind == "TOPPING":
        node = _node("TOPPING", code)
        if choice.level in (Level.EXTRA, Level.LIGHT):
            node = _node("COMPLEX_TOPPING", _node("QUANTITY", choice.level.value.upper()), node)
    elif kind == "STYLE":
        node = _node("STYLE", code)
    elif kind in ("CONTAINERTYPE", "VOLUME"):
        node = _node(kind, code)
    else:
        return None
    return _node("NOT", node) if choice.negated else node


def line_to_exr(line: OrderLine, menu: Menu) -> str | None:
    item = menu.item(line.item)
    if item is None:
        return None
    parts = [_node("NUMBER", str(line.quantity))]
    if line.size is not None:
        size = menu.size_index.get(line.size)
        parts.append(_node("SIZE", size.code if size is not None and size.code else line.size.upper()))
    parts.extend(m for m in (_modifier(menu, c) for c in line.modifiers) if m is not None)
    if item.code == "PIZZAORDER":
        return _node("PIZZAORDER", *parts)
    return _node("DRINKORDER", _node("DRINKTYPE", item.code or item.id.upper()), *parts)


def order_to_exr(order: Order, menu: Menu) -> str:
    """The order as an EXR tree string (lines the format cannot express are left out)."""
    lines = [e for e in (line_to_exr(line, menu) for line in order.lines) if e is not None]
    return _node("ORDER", *lines) if lines else "(ORDER )"


def tokenize(text: str) -> list[str]:
    return text.replace("(", " ( ").replace(")", " ) ").split()


def parse_exr(text: str) -> Tree:
    """Parse an EXR string into ``(label, children)``; leaves are strings.

    Raises:
        ValueError: the text is not a well-formed tree.
    """
    tokens = tokenize(text)
    pos = 0

    def parse() -> Tree:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != "(":
            raise ValueError(f"expected '(' at token {pos} in {text!r}")
        pos += 1
        if pos >= len(tokens):
            raise ValueError(f"unexpected end of tree in {text!r}")
        label = tokens[pos]
        pos += 1
        children: list[Tree | str] = []
        while pos < len(tokens) and tokens[pos] != ")":
            if tokens[pos] == "(":
                children.append(parse())
            else:
                children.append(tokens[pos])
                pos += 1
        if pos >= len(tokens):
            raise ValueError(f"missing ')' in {text!r}")
        pos += 1
        return label, tuple(children)

    tree = parse()
    if pos != len(tokens):
        raise ValueError(f"trailing tokens in {text!r}")
    return tree


def canonical(tree: Tree | str) -> str:
    """A string equal for two trees exactly when they match with children as multisets."""
    if isinstance(tree, str):
        return tree
    label, children = tree
    leaves = [c for c in children if isinstance(c, str)]
    nodes = sorted(canonical(c) for c in children if not isinstance(c, str))
    return f"({label} {' '.join(leaves)} {' '.join(nodes)})"


def unordered_equal(a: str, b: str) -> bool:
    try:
        return canonical(parse_exr(a)) == canonical(parse_exr(b))
    except ValueError:
        return False


def categories(gold: str) -> Sequence[str]:
    """Benchmark categories an order belongs to (by its gold tree)."""
    cats = []
    if "(NOT" in gold:
        cats.append("negation")
    if "COMPLEX_TOPPING" in gold:
        cats.append("extra/light")
    try:
        suborders = [c for c in parse_exr(gold)[1] if not isinstance(c, str)]
    except ValueError:
        suborders = []
    if len(suborders) > 1:
        cats.append("several suborders")
    if "DRINKORDER" in gold:
        cats.append("drinks")
    if "(STYLE" in gold:
        cats.append("style")
    return cats
