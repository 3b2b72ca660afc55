"""Tier-1 understanding: text -> typed commands plus a coverage report, with no model.

The matcher reads the order (never changes it) to resolve references ("make the second one a
large"), to answer the pending clarifying question, and to tell a modification of an existing line
from a new item. Anything it cannot turn into a valid command becomes ``CannotHandle``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from orderline.core.commands import (
    AddItem,
    Affirm,
    Cancel,
    CannotHandle,
    ClearOrder,
    Command,
    Deny,
    Done,
    FillSlot,
    Handoff,
    ModifierSpec,
    ModifyLine,
    RemoveLine,
    ReplaceItem,
    SetQuantity,
    SetSize,
    SlotSpec,
    Undo,
    Unplaced,
)
from orderline.core.events import ClarificationNeeded
from orderline.core.provenance import Provenance, Source
from orderline.core.text import normalize
from orderline.menu.schema import Menu
from orderline.nlu.accounting import (
    coverage_of,
    off_menu_spans,
    unexplained_words,
    unplaced_modifiers,
    without_spans,
)
from orderline.nlu.clauses import clauses, more_after, nth_line
from orderline.nlu.coverage import Understanding
from orderline.nlu.frames import (
    Frame,
    FrameBuilder,
    ModMention,
    frame_specs,
    infer_head,
    option_fits,
    resolve_senses,
)
from orderline.nlu.references import repeat_line
from orderline.nlu.tagger import Tag, Tagger
from orderline.nlu.vocab import Kind
from orderline.order.clarify import first_missing
from orderline.order.machine import transition
from orderline.order.state import DialogState, Order, OrderLine

NO_SUCH_LINE = 0  # line ids start at 1: the machine rejects this with "couldn't find that in your order"
_ADDING = frozenset({"add", "and add", "plus", "also", "and also", "add on", "as well as"})


def _another_option(tags: list[Tag]) -> bool:
    """Is a "another"/"one more" said right before an option (and no item named)?"""
    if any(t.kind is Kind.ITEM for t in tags):
        return False
    for k, tag in enumerate(tags):
        if tag.kind is Kind.REPEAT:
            after = next((t for t in tags[k + 1 :] if t.kind is not Kind.FILLER), None)
            return after is not None and after.kind in (Kind.OPTION, Kind.LEVEL)
    return False


class RuleMatcher:
    """Deterministic menu matcher (tier 1). Build once per menu."""

    name = "tier1"

    def __init__(self, menu: Menu) -> None:
        self.menu = menu
        self.tagger = Tagger(menu)
        self.builder = FrameBuilder(menu)
        self._combo_of = {i.main: i.id for i in menu.items if i.is_combo and i.main is not None}

    async def understand_async(self, text: str, order: Order) -> Understanding:
        """:class:`~orderline.nlu.base.Understander`: tier 1 answers at once."""
        return self.understand(text, order)

    async def aclose(self) -> None:
        return None

    def understand(self, text: str, order: Order) -> Understanding:
        """Commands for one utterance, given the order so far (read-only)."""
        started = time.perf_counter()
        tokens = normalize(text)
        tagged = self.tagger.tag(tokens)
        off_menu = off_menu_spans(tokens, tagged)
        raw = without_spans(tagged, off_menu)  # "garlic knots": the garlic is no topping
        tags = resolve_senses(raw, self.menu)
        commands = self._commands(tags, order, text, tokens, raw)
        commands.extend(unplaced_modifiers(tokens, tags, commands))
        commands = unexplained_words(self.menu, tokens, raw, tags, commands, off_menu)
        coverage = coverage_of(tokens, raw, tags, off_menu)
        latency = (time.perf_counter() - started) * 1000
        provenance = Provenance(
            source=Source.RULE, name=self.name, confidence=coverage.confidence, latency_ms=latency, span=text
        )
        stamped = tuple(c.model_copy(update={"provenance": provenance}) for c in commands)
        return Understanding(text=text, commands=stamped, coverage=coverage)

    # -- whole-utterance intents and clauses ---------------------------------------------------

    def _commands(
        self, tags: list[Tag], order: Order, text: str, tokens: tuple[str, ...], raw: list[Tag]
    ) -> list[Command]:
        kinds = {t.kind for t in tags}
        content = any(t.kind in (Kind.ITEM, Kind.OPTION, Kind.SIZE) for t in tags)
        if Kind.HANDOFF in kinds:
            return [Handoff()]
        if Kind.CANCEL in kinds and not content:
            return [Cancel()]
        commands: list[Command] = []
        if Kind.CLEAR in kinds:
            commands.append(ClearOrder())
        elif Kind.UNDO in kinds and not content:
            return [Undo()]
        answered = self._answer_asked(tags, order)
        if answered is not None:
            return answered
        view = order
        pending = first_missing(order, self.menu) if order.state is DialogState.CLARIFYING else None
        if Kind.UNDO in kinds and content and pending is not None:
            # "never mind, just a small coffee": the line being asked about goes, the rest is new
            commands.append(RemoveLine(line=pending.line))
            view, _ = transition(view, commands[-1], self.menu)
        adding = any(t.kind is Kind.POS and t.text in _ADDING for t in tags)
        if Kind.REPEAT in kinds and _another_option(tags):
            # "another extra shot", "one more pump of vanilla": more of an option, not another line
            tags = [t for t in tags if t.kind is not Kind.REPEAT]
            kinds = {t.kind for t in tags}
            adding = True
        if Kind.REPEAT in kinds and Kind.ITEM not in kinds and order.lines:
            commands.extend(repeat_line(self.menu, self.builder, tags, tokens, raw, view))
            if Kind.DONE in kinds:
                commands.append(Done())
            return commands
        for verb, clause in clauses(tags):
            combo_only = any(t.kind is Kind.COMBO for t in clause) and not any(
                t.kind is Kind.ITEM and not t.has(Kind.COMBO) for t in clause
            )
            if combo_only and (verb is None or verb.kind is Kind.CORRECT):
                # "actually, make it a meal": a change of the line, not a new item
                found = self._change(clause, view)
            elif verb is not None and verb.kind is Kind.REMOVE:
                found = self._remove(clause, view)
            elif verb is not None and verb.kind is Kind.CHANGE:
                found = self._change(clause, view)
            else:
                correcting = (verb is not None or Kind.NO in kinds) and not adding
                found = self._order(clause, view, correcting)
            commands.extend(found)
            for command in found:  # later clauses see earlier ones: "a pizza and make it large"
                view, _ = transition(view, command, self.menu)
        if any(not isinstance(c, ClearOrder) for c in commands):
            if Kind.DONE in kinds:
                commands.append(Done())
            return commands
        if Kind.DONE in kinds:
            commands.append(Done())
        elif Kind.YES in kinds and Kind.NO not in kinds:
            commands.append(Affirm())
        elif Kind.NO in kinds:
            commands.append(Deny())
        if not commands:
            commands.append(CannotHandle(reason="no menu item or request recognised", text=text))
        return commands

    # -- answers to "Which one gets no onions?" ----------------------------------------------------

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

    # -- ordering clauses ------------------------------------------------------------------------

    def _order(self, tags: list[Tag], order: Order, correcting: bool) -> list[Command]:
        split = next((k for k, t in enumerate(tags) if t.kind is Kind.INSTEAD), None)
        frames = self.builder.build(tags if split is None else tags[:split])
        targets = self.builder.build(tags[split + 1 :]) if split is not None else []
        pending = first_missing(order, self.menu) if order.state is DialogState.CLARIFYING else None
        commands: list[Command] = []
        frames = self._bare_mentions(frames, order)
        if correcting:
            frames = self._named_for_replacement(frames, order)
        for frame in frames:
            if frame.all_ref and frame.head is None and self._apply_to_all(frame, commands, order):
                continue
            if self._attach_to_earlier(frame, commands):
                continue
            if self._attach_to_named(frame, commands, order):
                continue
            commands.extend(self._frame(frame, order, pending, correcting))
            if pending is not None:
                # "medium with a lemonade": once the size is answered, the drink answers the next question
                pending = self._pending_after(order, commands)
        commands = self._absorb_slots(commands, frames)
        if split is not None:
            swapped = self._swap_options(frames, targets, order)
            if swapped is not None:
                return swapped
            commands = self._instead(commands, targets, order)
        return commands

    def _named_for_replacement(self, frames: list[Frame], order: Order) -> list[Frame]:
        """ "actually, can the croissant be a chocolate croissant": the first item only names the line the
        second replaces (the correction finds it), so it is not ordered again."""
        out: list[Frame] = []
        for k, frame in enumerate(frames):
            nxt = frames[k + 1] if k + 1 < len(frames) else None
            if (
                nxt is not None
                and frame.head is not None
                and frame.qty is None
                and frame.size is None
                and not frame.mods
                and nxt.head is not None
                and nxt.head != frame.head
                and nxt.ref_item is None
                and self._same_category(frame.head, nxt.head)
                and any(line.item == frame.head for line in order.lines)
            ):
                nxt.ref_item = frame.head  # the line the correction replaces
                continue
            out.append(frame)
        return out

    def _swap_options(self, frames: list[Frame], targets: list[Frame], order: Order) -> list[Command] | None:
        """ "bacon instead of ham", "no ham, bacon instead": one option for another on the line that has
        the old one. None when the words are not options alone (items are :meth:`_instead`'s)."""
        if any(f.head or f.size or f.ref_item for f in (*frames, *targets)):
            return None
        new = [m for f in frames for m in f.mods]
        old = [m for f in targets for m in f.mods]
        if not old and len(new) >= 2 and all(m.negated for m in new):
            old, new = new[:-1], new[-1:]  # "no ham, bacon instead": the last one is wanted
            new = [replace(new[0], negated=False)]
        if not new or not old:
            return None
        return self._swap(order, old, new)

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

    def _pending_after(self, order: Order, commands: list[Command]) -> ClarificationNeeded | None:
        view = order
        for command in commands:
            view, _ = transition(view, command, self.menu)
        return first_missing(view, self.menu) if view.state is DialogState.CLARIFYING else None

    def _bare_mentions(self, frames: list[Frame], order: Order) -> list[Frame]:
        """ "the cappuccino's a small", "the fries, large": an item already ordered, named without a
        quantity and followed by only a size or modifiers, is the line those words change."""
        out: list[Frame] = []
        k = 0
        while k < len(frames):
            frame = frames[k]
            nxt = frames[k + 1] if k + 1 < len(frames) else None
            bare = (
                frame.head is not None
                and frame.qty is None
                and frame.size is None
                and not frame.mods
                and any(line.item == frame.head for line in order.lines)
            )
            if (
                bare
                and nxt is not None
                and nxt.head is None
                and nxt.ref_item is None
                and not nxt.all_ref
                and (nxt.qty is None or nxt.qty_weak)
                and (nxt.size is not None or nxt.mods)
            ):
                nxt.ref_item = frame.head
                nxt.qty = None
                out.append(nxt)
                k += 2
                continue
            out.append(frame)
            k += 1
        return out

    def _attach_to_named(self, frame: Frame, commands: list[Command], order: Order) -> bool:
        """ "an iced latte and a hot chocolate, whipped cream on the latte": modifiers for an item
        named by reference and added earlier in the same turn."""
        if frame.head is not None or frame.ref_item is None or not frame.mods or frame.qty is not None:
            return False
        adds = [(k, c) for k, c in enumerate(commands) if isinstance(c, AddItem)]
        named = [
            (k, c) for k, c in adds if c.item == frame.ref_item or self._main_of(c.item) == frame.ref_item
        ]
        if not named:  # "the latte" for an iced latte: a variant whose name holds the name said
            named = [(k, c) for k, c in adds if self._name_within(frame.ref_item, c.item)]
        if not named:
            named = [(k, c) for k, c in adds if self._same_category(c.item, frame.ref_item)]
        for k, command in reversed(named):
            if all(option_fits(self.menu, command.item, m.options) for m in frame.mods):
                specs = frame_specs(frame, self.menu, command.item)
                commands[k] = command.model_copy(update={"modifiers": (*command.modifiers, *specs)})
                return True
        return False

    def _frame(
        self, frame: Frame, order: Order, pending: ClarificationNeeded | None, correcting: bool
    ) -> list[Command]:
        menu = self.menu
        if frame.negated_head:
            line = self._line_of(order, frame.head)
            return [RemoveLine(line=line.id)] if line is not None else []
        head = frame.head
        ref_line = self._line_of(order, frame.ref_item) if frame.ref_item else None
        if frame.ordinal is not None and head is None:
            ref_line = nth_line(order, frame.ordinal) or ref_line
        if ref_line is not None and head is None:
            return self._adjust(frame, ref_line, order)
        if head is None and frame.ref_item is not None:
            head = frame.ref_item
        if head is None:
            return self._headless(frame, order, pending, correcting)
        if pending is not None:
            answer = self._answer_with_item(frame, head, pending)
            if answer is not None:
                return [answer]
        named = self._line_of(order, frame.ref_item) if correcting and frame.ref_item else None
        target = named or (self._correction_target(order, head) if correcting else None)
        if target is not None:
            changes = frame.size is not None or frame.mods or (frame.qty is not None and not frame.qty_weak)
            if target.item == head and changes:
                return self._adjust(frame, target, order)  # "no, I said a large fries"
            if target.item != head and (frame.qty is None or frame.qty_weak):
                specs = frame_specs(frame, menu, head)
                return [ReplaceItem(line=target.id, item=head, size=frame.size, modifiers=specs)]
        if frame.qty is None and frame.mods and frame.size is None:
            line = next((ln for ln in reversed(order.lines) if ln.item == head), None)
            if line is not None:
                # "can the chicken sandwich have no mayo": no quantity, already ordered: that line
                return [ModifyLine(line=line.id, modifiers=frame_specs(frame, menu, head))]
        return [
            AddItem(
                item=head,
                quantity=max(1, frame.qty or 1),
                size=frame.size,
                modifiers=frame_specs(frame, menu, head),
            )
        ]

    def _apply_to_all(self, frame: Frame, commands: list[Command], order: Order) -> bool:
        """ "hold the onions on both", "make them all medium": every item just named (else every line)."""
        fits = [
            k
            for k, c in enumerate(commands)
            if isinstance(c, AddItem) and all(option_fits(self.menu, c.item, m.options) for m in frame.mods)
        ]
        if fits:
            for k in fits:
                command = commands[k]
                assert isinstance(command, AddItem)
                update: dict[str, object] = {
                    "modifiers": (*command.modifiers, *frame_specs(frame, self.menu, command.item))
                }
                item = self.menu.item(command.item)
                if frame.size is not None and item is not None and frame.size in item.sizes:
                    update["size"] = frame.size
                commands[k] = command.model_copy(update=update)
            return True
        lines = [
            line
            for line in order.lines
            if all(option_fits(self.menu, line.item, m.options) for m in frame.mods)
        ]
        for line in lines:
            commands.extend(self._adjust(frame, line, order))
        return bool(lines)

    def _attach_to_earlier(self, frame: Frame, commands: list[Command]) -> bool:
        """ "A number one with a coke and no onions": modifiers for an item named earlier in the turn."""
        if frame.head is not None or not frame.mods or frame.qty is not None or frame.ref_item is not None:
            return False
        for k in range(len(commands) - 1, -1, -1):
            command = commands[k]
            if isinstance(command, AddItem) and all(
                option_fits(self.menu, command.item, m.options) for m in frame.mods
            ):
                specs = frame_specs(frame, self.menu, command.item)
                commands[k] = command.model_copy(update={"modifiers": (*command.modifiers, *specs)})
                return True
        return False

    def _headless(
        self, frame: Frame, order: Order, pending: ClarificationNeeded | None, correcting: bool
    ) -> list[Command]:
        menu = self.menu
        if pending is not None:
            answer = self._answer(frame, pending)
            if answer:
                return answer
        split = self._split_line(frame, order.last_line, order)
        if split:
            return split
        if frame.mods and (frame.qty is None or frame.qty_weak):
            line = self._line_accepting(order, frame)  # "an extra shot": that line
            if line is not None:
                return [ModifyLine(line=line.id, modifiers=frame_specs(frame, menu, line.item))]
        if frame.mods:
            head = infer_head(frame, menu)
            if head is not None:
                specs = frame_specs(frame, menu, head)
                return [AddItem(item=head, quantity=max(1, frame.qty or 1), size=frame.size, modifiers=specs)]
            return []
        last = order.last_line
        if last is None:
            return []
        offered = self.menu.item(order.offered_item) if order.offered_item else None
        if (
            order.state is DialogState.UPSELL
            and offered is not None
            and frame.size is not None
            and frame.size in offered.sizes
            and not frame.mods
        ):
            # "Can I get you a coffee with that?" "Yes, a small one.": the offer, in that size
            return [AddItem(item=offered.id, quantity=max(1, frame.qty or 1), size=frame.size)]
        if frame.size is not None:
            line = self._line_with_size(order, frame.size) or last
            return [SetSize(line=line.id, size=frame.size)]
        if frame.qty is not None and not frame.qty_weak and correcting:
            return [SetQuantity(line=last.id, quantity=max(1, frame.qty))]
        return []

    def _answer(self, frame: Frame, pending: ClarificationNeeded) -> list[Command]:
        """A headless frame answering the pending question ("large", "no onions" ...)."""
        if pending.choice == "size" and frame.size is not None and frame.size in pending.options:
            out: list[Command] = [SetSize(line=pending.line, size=frame.size)]
            if frame.qty is not None and not frame.qty_weak and frame.qty > 1:
                out.append(SetQuantity(line=pending.line, quantity=frame.qty))
            return out
        if pending.choice == "group" and frame.mods:
            line_item = self._pending_item(pending)
            return [ModifyLine(line=pending.line, modifiers=frame_specs(frame, self.menu, line_item))]
        return []

    def _answer_with_item(self, frame: Frame, head: str, pending: ClarificationNeeded) -> Command | None:
        if pending.choice == "slot" and head in pending.options:
            return FillSlot(line=pending.line, slot=pending.target, item=head, size=frame.size)
        if (
            pending.choice == "size"
            and self._pending_item(pending) == head
            and frame.size is not None
            and (frame.qty is None or frame.qty_weak)
        ):
            return SetSize(line=pending.line, size=frame.size)
        return None

    def _pending_item(self, pending: ClarificationNeeded) -> str | None:
        return pending.target if pending.choice == "size" else None

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

    def _absorb_slots(self, commands: list[Command], frames: Sequence[Frame]) -> list[Command]:
        """Items said with a combo belong to it: "a number one with a Sprite" fills the drink slot,
        "the coffee and pastry deal with a large coffee" is the deal's own coffee (and its size)."""
        out: list[Command] = []
        for command in commands:
            combo = next(
                (c for c in reversed(out) if isinstance(c, AddItem) and self._is_combo(c.item)), None
            )
            if (
                not isinstance(command, AddItem)
                or combo is None
                or command.quantity not in (1, combo.quantity)
            ):
                out.append(command)
                continue
            if command.item == self._main_of(combo.item):
                update = {
                    "size": combo.size or command.size,
                    "modifiers": (*combo.modifiers, *command.modifiers),
                }
                out[out.index(combo)] = combo.model_copy(update=update)
                continue
            slot = self._open_slot(combo, command.item)
            if slot is None:
                out.append(command)
                continue
            spec = SlotSpec(slot=slot, item=command.item, size=command.size, modifiers=command.modifiers)
            out[out.index(combo)] = combo.model_copy(update={"slots": (*combo.slots, spec)})
        return out

    def _instead(self, commands: list[Command], targets: list[Frame], order: Order) -> list[Command]:
        """ "A Sprite instead of the Coke": the new item replaces a line (or a combo slot)."""
        out: list[Command] = []
        target_items = [f.head or f.ref_item for f in targets if (f.head or f.ref_item)]
        for command in commands:
            if not isinstance(command, AddItem):
                out.append(command)
                continue
            wanted = target_items[0] if target_items else None
            line = self._line_of(order, wanted) if wanted else self._line_like(order, command.item)
            if line is None and wanted is not None:
                slot_line = self._slot_line(order, wanted)
                if slot_line is not None:
                    out.append(FillSlot(line=slot_line.id, item=command.item, size=command.size))
                    continue
            if line is None:
                out.append(command)
                continue
            out.append(
                ReplaceItem(line=line.id, item=command.item, size=command.size, modifiers=command.modifiers)
            )
        return out

    # -- remove and change clauses ---------------------------------------------------------------

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

    # -- order lookups -------------------------------------------------------------------------

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
