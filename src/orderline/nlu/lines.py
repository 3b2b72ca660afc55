"""The tier-1 matcher's view of the order: which line a mention, a reference or a correction means, and
the commands that change a line in place (size, count, modifiers, a split, an option swap)."""

from __future__ import annotations

from orderline.core.commands import (
    AddItem,
    Command,
    ModifierSpec,
    ModifyLine,
    SetQuantity,
    SetSize,
)
from orderline.menu.schema import Menu
from orderline.nlu.frames import (
    Frame,
    FrameBuilder,
    ModMention,
    frame_specs,
    option_fits,
)
from orderline.nlu.tagger import Tagger
from orderline.order.state import Order, OrderLine

NO_SUCH_LINE = 0  # line ids start at 1: the machine rejects this with "couldn't find that in your order"


class LineLookups:
    """Order lookups shared by the matcher's clauses (built once per menu)."""

    def __init__(self, menu: Menu) -> None:
        self.menu = menu
        self.tagger = Tagger(menu)
        self.builder = FrameBuilder(menu)
        self._combo_of = {i.main: i.id for i in menu.items if i.is_combo and i.main is not None}

    def _is_combo(self, item_id: str) -> bool:
        item = self.menu.item(item_id)
        return item is not None and item.is_combo

    def _open_slot(self, combo: AddItem, item_id: str) -> str | None:
        item = self.menu.item(combo.item)
        if item is None:
            return None
        taken = {s.slot for s in combo.slots}
        return next((s.id for s in item.slots if s.id not in taken and item_id in s.choices), None)

    def _slot_fits(self, line: OrderLine, item_id: str) -> bool:
        item = self.menu.item(line.item)
        return item is not None and any(item_id in s.choices for s in item.slots)

    def _correction_target(self, order: Order, head: str) -> OrderLine | None:
        """The line a correction names: the latest line of that item, else the latest of its kind."""
        same = next((line for line in reversed(order.lines) if line.item == head), None)
        if same is not None:
            return same
        last = order.last_line
        return last if last is not None and self._same_category(last.item, head) else None

    def _name_within(self, said: str, other: str) -> bool:
        """Every word of item ``said``'s name, or of one of its aliases, is in item ``other``'s name ("latte"
        in "Iced Latte", "frappe" in "Mocha Frappe")."""
        ia, ib = self.menu.item(said), self.menu.item(other)
        if ia is None or ib is None:
            return False
        target = set(ib.name.lower().split())
        forms = [set(f.lower().split()) for f in (ia.name, *ia.aliases)]
        return any(words and words <= target for words in forms)

    def _same_category(self, a: str, b: str) -> bool:
        ia, ib = self.menu.item(a), self.menu.item(b)
        return ia is not None and ib is not None and ia.category == ib.category

    def _line_of(self, order: Order, item_id: str | None) -> OrderLine | None:
        """The latest line for an item (or a combo built on it); else the latest of its category
        ("the burger" when the order has a bacon cheeseburger)."""
        if item_id is None:
            return None
        for line in reversed(order.lines):
            item = self.menu.item(line.item)
            if line.item == item_id or (item is not None and item.main == item_id):
                return line
        for line in reversed(order.lines):
            if self._same_category(self._main_of(line.item), item_id):
                return line
        return None

    def _main_of(self, item_id: str) -> str:
        item = self.menu.item(item_id)
        return item.main if item is not None and item.main is not None else item_id

    def _slot_line(self, order: Order, item_id: str | None) -> OrderLine | None:
        return next(
            (line for line in reversed(order.lines) if any(f.item == item_id for f in line.slots)), None
        )

    def _line_like(self, order: Order, item_id: str) -> OrderLine | None:
        return next(
            (line for line in reversed(order.lines) if self._same_category(line.item, item_id)),
            order.last_line,
        )

    def _line_accepting(self, order: Order, frame: Frame) -> OrderLine | None:
        for line in reversed(order.lines):
            if all(option_fits(self.menu, line.item, m.options) for m in frame.mods):
                return line
        return None

    def _line_with_size(self, order: Order, size: str) -> OrderLine | None:
        for line in reversed(order.lines):
            item = self.menu.item(line.item)
            if item is not None and size in item.sizes:
                return line
        return None

    def _present(self, line: OrderLine, options: tuple[str, ...]) -> str | None:
        """The first of ``options`` the line has: chosen, or included with the item and not removed."""
        item = self.menu.item_index[line.item]
        for option in options:
            choice = next((m for m in line.modifiers if m.option == option), None)
            found = self.menu.find_option(item, option)
            if choice is not None and not choice.negated:
                return option
            if choice is None and found is not None and found[1].default:
                return option
        return None

    def _swap(self, order: Order, old: list[ModMention], new: list[ModMention]) -> list[Command] | None:
        """ModifyLine taking ``old`` options off the latest line that has them and putting ``new`` on."""
        for line in reversed(order.lines):
            item = self.menu.item(line.item)
            if item is None:
                continue
            gone = [o for m in old if (o := self._present(line, m.options)) is not None]
            wanted = [(m, o) for m in new if (o := option_fits(self.menu, line.item, m.options)) is not None]
            if len(gone) == len(old) and len(wanted) == len(new):
                specs = [ModifierSpec(option=o, negated=True) for o in gone]
                specs += [m.spec(o).model_copy(update={"negated": False}) for m, o in wanted]
                return [ModifyLine(line=line.id, modifiers=tuple(specs))]
        return None

    def _adjust(self, frame: Frame, line: OrderLine, order: Order) -> list[Command]:
        """Changes to an existing line named by reference: size, quantity, modifiers."""
        commands: list[Command] = []
        if frame.size is not None:
            commands.append(SetSize(line=line.id, size=frame.size))
        if frame.qty is not None and not frame.qty_weak:
            commands.append(SetQuantity(line=line.id, quantity=max(1, frame.qty)))
        if frame.mods:
            commands.append(ModifyLine(line=line.id, modifiers=frame_specs(frame, self.menu, line.item)))
        return commands

    def _split_line(self, frame: Frame, line: OrderLine | None, order: Order) -> list[Command]:
        """ "(two cheeseburgers), make one of them with no onions": some of the line get the change, the
        rest stay as they were; the total count stays what was ordered."""
        if (
            not frame.partitive
            or frame.qty is None
            or not (frame.mods or frame.size)
            or line is None
            or line.slots
            or not 0 < frame.qty < line.quantity
            or not all(option_fits(self.menu, line.item, m.options) for m in frame.mods)
        ):
            return []
        kept = tuple(
            ModifierSpec(option=m.option, level=m.level, negated=m.negated, on_side=m.on_side, count=m.count)
            for m in line.modifiers
        )
        # the line keeps the part that changes (as "two pizzas, one deep dish" puts the part first)
        rest = AddItem(item=line.item, quantity=line.quantity - frame.qty, size=line.size, modifiers=kept)
        return [*self._adjust(frame, line, order), rest]
