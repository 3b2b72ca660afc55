"""The tier-1 matcher's edit clauses: "remove the fries", "make the second one a large", "change the coke to a
sprite", and answers to "Which one gets no onions?"."""

from __future__ import annotations

from orderline.core.commands import (
    Command,
    Done,
    FillSlot,
    ModifierSpec,
    ModifyLine,
    RemoveLine,
    ReplaceItem,
    Unplaced,
)
from orderline.core.text import normalize
from orderline.nlu.clauses import more_after, nth_line
from orderline.nlu.frames import (
    Frame,
    frame_specs,
    resolve_senses,
)
from orderline.nlu.lines import NO_SUCH_LINE, LineLookups
from orderline.nlu.tagger import Tag
from orderline.nlu.vocab import Kind
from orderline.order.machine import transition
from orderline.order.state import Order, OrderLine


class EditClauses(LineLookups):
    """Clauses that change or remove lines, and answers to the last turn's question about unplaced words."""

    def _answer_asked(self, tags: list[Tag], order: Order) -> list[Command] | None:
        """The answer to the last turn's question about modifier words no line took: "yes" (the one
        line asked about), "both", "the burger", "the first one". None when the words are not an
        answer (they are understood as usual, and the question lapses)."""
        asked = [q for q in order.asked if q.options and q.asks and q.lines]
        if not asked:
            return None
        kinds = {t.kind for t in tags}
        if kinds & {Kind.OPTION, Kind.SIZE, Kind.NO, Kind.NEG, Kind.CANCEL, Kind.UNDO, Kind.REMOVE}:
            return None
        frames = [f for f in self.builder.build(tags) if not f.empty]
        if any(f.mods or f.size or (f.qty is not None and not f.qty_weak) for f in frames):
            return None
        commands: list[Command] = []
        for question in asked:
            lines = [ln for ln in order.lines if ln.id in question.lines]
            chosen = self._chosen_lines(frames, lines, order)
            if chosen is None and Kind.YES in kinds and len(lines) == 1:
                chosen = lines  # "Should the Cheeseburger have no onions?" "Yes."
            if chosen is None and Kind.YES in kinds:
                # "yes" to "which one?": ask again, so the words are still not dropped
                commands.append(Unplaced(words=question.words, options=question.options))
                continue
            if chosen is None:
                return None
            for line in chosen:
                specs = self._specs_of(question.words, line.item)
                if specs:
                    commands.append(ModifyLine(line=line.id, modifiers=specs))
        if Kind.DONE in kinds:
            commands.append(Done())
        return commands or None

    def _chosen_lines(
        self, frames: list[Frame], lines: list[OrderLine], order: Order
    ) -> list[OrderLine] | None:
        if any(f.all_ref for f in frames):
            return lines  # "both", "all of them"
        chosen: list[OrderLine] = []
        for frame in frames:
            line: OrderLine | None = None
            if frame.ordinal is not None:
                line = nth_line(order, frame.ordinal)
            named = frame.head or frame.ref_item
            if line is None and named is not None:
                line = next(
                    (ln for ln in reversed(lines) if named in (ln.item, self._main_of(ln.item))), None
                ) or next((ln for ln in reversed(lines) if self._same_category(ln.item, named)), None)
            if line is not None and line in lines and line not in chosen:
                chosen.append(line)
        return chosen or None

    def _specs_of(self, words: str, item_id: str) -> tuple[ModifierSpec, ...]:
        """The modifier specs of words asked about, read again for the line they turn out to be for."""
        tags = resolve_senses(self.tagger.tag(normalize(words)), self.menu)
        return tuple(
            s
            for f in self.builder.build(tags)
            for s in frame_specs(f, self.menu, item_id)
            if self.menu.item(item_id) is not None
            and self.menu.find_option(self.menu.item_index[item_id], s.option) is not None
        )

    def _remove(self, tags: list[Tag], order: Order) -> list[Command]:
        frames = self.builder.build(tags)
        refs = any(t.kind is Kind.REF for t in tags)
        commands: list[Command] = []
        for frame in frames:
            if frame.mods and frame.head is None:
                line = (
                    self._line_of(order, frame.ref_item)
                    if frame.ref_item
                    else self._line_accepting(order, frame)
                )
                if line is not None:
                    specs = tuple(
                        s.model_copy(update={"negated": True})
                        for s in frame_specs(frame, self.menu, line.item)
                    )
                    commands.append(ModifyLine(line=line.id, modifiers=specs))
                continue
            item = frame.head or frame.ref_item
            line = self._line_of(order, item) if item else None
            if frame.ordinal is not None:
                line = nth_line(order, frame.ordinal)
            if line is not None:
                commands.append(RemoveLine(line=line.id))
            elif item is not None:
                commands.append(RemoveLine(line=NO_SUCH_LINE))  # named but not ordered: say so
        if not commands and (refs or not frames) and order.last_line is not None:
            commands.append(RemoveLine(line=order.last_line.id))
        return commands

    def _change(self, tags: list[Tag], order: Order) -> list[Command]:
        """ "make the second one a large", "change the coke to a sprite", "make it a meal"."""
        frames = self.builder.build(tags)
        target: OrderLine | None = None
        slot_target: tuple[OrderLine, str] | None = None
        values: list[Frame] = []
        for frame in frames:
            named = frame.head or frame.ref_item
            if target is None and slot_target is None:
                if frame.ordinal is not None:
                    target = nth_line(order, frame.ordinal)
                    if frame.head is None and frame.ref_item is None:
                        if frame.size or frame.mods or (frame.qty and not frame.qty_weak):
                            values.append(frame)
                        continue
                line = self._line_of(order, named) if named else None
                if (line is not None and line is not order.last_line) or (
                    line is not None and more_after(frames, frame)
                ):
                    target = line
                    rest = Frame(qty=frame.qty if frame.qty and not frame.qty_weak else None, size=frame.size)
                    rest.mods = frame.mods
                    if not rest.empty:
                        values.append(rest)
                    continue
                slot_line = self._slot_line(order, named) if named and line is None else None
                if slot_line is not None:
                    slot_target = (slot_line, named or "")
                    continue
            values.append(frame)
        line = target or order.last_line
        if line is None:
            return []
        swapped = self._swap_in_change(values, line, order)
        if swapped is not None:
            return swapped
        commands: list[Command] = []
        wants_combo = any(t.kind is Kind.COMBO for t in tags)
        if wants_combo and line.item in self._combo_of:
            # the meal first, so "make it a combo with a dr pepper" fills the meal's drink
            commands.append(ReplaceItem(line=line.id, item=self._combo_of[line.item]))
            view, _ = transition(order, commands[0], self.menu)
            line = view.line(line.id) or line
        for frame in values:
            if frame.head is not None and frame.head != line.item:
                if slot_target is not None:
                    commands.append(FillSlot(line=slot_target[0].id, item=frame.head, size=frame.size))
                elif self._slot_fits(line, frame.head):
                    commands.append(FillSlot(line=line.id, item=frame.head, size=frame.size))
                else:
                    specs = frame_specs(frame, self.menu, frame.head)
                    commands.append(
                        ReplaceItem(line=line.id, item=frame.head, size=frame.size, modifiers=specs)
                    )
                continue
            split = self._split_line(frame, line, order)
            commands.extend(split or self._adjust(frame, line, order))
        return commands

    def _swap_in_change(self, values: list[Frame], line: OrderLine, order: Order) -> list[Command] | None:
        """ "swap the ham for bacon", "change the onions to grilled onions": the options the line has
        come off, the ones said after them go on."""
        if any(f.head or f.size or f.ref_item or (f.qty and not f.qty_weak) for f in values):
            return None
        mods = [m for f in values for m in f.mods]
        if len(mods) < 2 or any(m.negated for m in mods):
            return None
        k = 0
        while k < len(mods) and self._present(line, mods[k].options) is not None:
            k += 1
        if k == 0 or k == len(mods) or any(self._present(line, m.options) for m in mods[k:]):
            return None
        view = order.model_copy(update={"lines": (line,)})
        return self._swap(view, mods[:k], mods[k:])
