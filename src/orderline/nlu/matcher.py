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
    ModifyLine,
    RemoveLine,
    ReplaceItem,
    SetQuantity,
    SetSize,
    SlotSpec,
    Undo,
)
from orderline.core.events import ClarificationNeeded
from orderline.core.provenance import Provenance, Source
from orderline.core.text import normalize
from orderline.nlu.accounting import (
    coverage_of,
    off_menu_spans,
    unexplained_words,
    unplaced_modifiers,
    without_spans,
)
from orderline.nlu.clauses import clauses, nth_line
from orderline.nlu.coverage import Understanding
from orderline.nlu.edits import EditClauses
from orderline.nlu.frames import (
    Frame,
    frame_specs,
    infer_head,
    option_fits,
    resolve_senses,
)
from orderline.nlu.references import repeat_line
from orderline.nlu.tagger import Tag
from orderline.nlu.vocab import Kind
from orderline.order.clarify import first_missing
from orderline.order.machine import transition
from orderline.order.state import DialogState, Order

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


class RuleMatcher(EditClauses):
    """Deterministic menu matcher (tier 1). Build once per menu."""

    name = "tier1"

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
