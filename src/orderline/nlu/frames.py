"""Group tags into frames: one frame per thing the customer mentions (an item with its quantity,
size and modifiers), with negation scope ("no onions or pickles") and levels ("extra cheese").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orderline.core.commands import Level, ModifierSpec
from orderline.menu.schema import Menu
from orderline.nlu.tagger import Sense, Tag
from orderline.nlu.vocab import HOMOPHONE_NUMBERS, PLURAL_REFS, Kind

_CONTENT = (Kind.ITEM, Kind.OPTION, Kind.SIZE)
_PARTITIVE = frozenset({"them", "those", "these"})


@dataclass(slots=True)
class ModMention:
    options: tuple[str, ...]
    level: Level = Level.REGULAR
    negated: bool = False
    on_side: bool = False
    start: int = 0
    end: int = 0
    count: int = 1

    def spec(self, option: str) -> ModifierSpec:
        return ModifierSpec(
            option=option, level=self.level, negated=self.negated, on_side=self.on_side, count=self.count
        )


@dataclass(slots=True)
class Frame:
    """One mentioned thing. ``head`` is an item id; ``ref_item`` marks "on the burger" references."""

    qty: int | None = None
    qty_weak: bool = False
    size: str | None = None
    head: str | None = None
    head_alts: tuple[str, ...] = ()
    ref_item: str | None = None
    ordinal: int | None = None
    mods: list[ModMention] = field(default_factory=list)
    negated_head: bool = False
    pronoun: bool = False  # "a small one with ham": the item named before
    all_ref: bool = False  # "on both", "them all": every item just mentioned
    conj_before: bool = False  # an "and"/"or" came between the previous frame and this one
    partitive: bool = False  # "two of them": a part of the item just named, not a new one
    slot_part: bool = False  # "one with a coke": a part of a split whose change is the item named
    start: int = 0
    end: int = 0
    confidence: float = 1.0

    @property
    def empty(self) -> bool:
        return (
            self.qty is None
            and self.size is None
            and self.head is None
            and not self.mods
            and self.ref_item is None
            and self.ordinal is None
            and not self.all_ref
        )


def _next_item(tags: list[Tag], k: int, window: int = 3) -> Tag | None:
    return next((t for t in tags[k + 1 : k + 1 + window] if t.has(Kind.ITEM)), None)


def resolve_senses(tags: list[Tag], menu: Menu) -> list[Tag]:
    """Pick one reading for words that have several ("no", "regular", "to", "a", "med")."""
    out: list[Tag] = []
    for k, tag in enumerate(tags):
        nxt = tags[k + 1] if k + 1 < len(tags) else None
        adjacent = nxt is not None and nxt.start == tag.end
        if tag.has(Kind.QTY) and tag.text in HOMOPHONE_NUMBERS:
            if adjacent and nxt is not None and (nxt.kind is Kind.ITEM or nxt.kind is Kind.SIZE):
                out.append(tag.only(Kind.QTY))
            continue
        prev = tags[k - 1] if k > 0 else None
        before = tags[k - 2] if k > 1 else None
        after_all = before is not None and before.kind is Kind.REF and before.text in PLURAL_REFS
        if (
            tag.has(Kind.QTY)
            and tag.text == "one"
            and prev is not None
            and prev.kind is Kind.SIZE
            and not after_all  # "both medium, one with a coke": a part, not "a medium one"
        ):
            out.append(Tag((Sense(Kind.REF, "one"),), tag.start, tag.end, tag.text))  # "a small one"
            continue
        if tag.has(Kind.QTY) and tag.text in ("a", "an"):
            if adjacent and nxt is not None and any(nxt.has(c) for c in (*_CONTENT, Kind.LEVEL)):
                out.append(tag.only(Kind.QTY))
            continue
        if (
            tag.kind is Kind.CONJ
            and tag.text == "but"
            and adjacent
            and nxt is not None
            and nxt.kind is Kind.OPTION
        ):
            out.append(
                Tag((Sense(Kind.NEG, "but"),), tag.start, tag.end, tag.text)
            )  # "everything but olives"
            continue
        if tag.has(Kind.NEG) and tag.has(Kind.NO):
            negatable = nxt is not None and any(nxt.has(c) for c in (Kind.OPTION, Kind.LEVEL, Kind.ITEM))
            out.append(tag.only(Kind.NEG if negatable else Kind.NO))
            continue
        if tag.has(Kind.LEVEL) and tag.has(Kind.SIZE):
            is_level = adjacent and nxt is not None and nxt.has(Kind.OPTION)
            out.append(tag.only(Kind.LEVEL if is_level else Kind.SIZE))
            continue
        if tag.has(Kind.SIZE) and tag.has(Kind.OPTION):
            item = _next_item(tags, k)
            fits = item is not None and any(option_fits(menu, str(i), _options(tag)) for i in _items(item))
            out.append(tag.only(Kind.OPTION if fits else Kind.SIZE))
            continue
        entity = tuple(s for s in tag.senses if s.kind in _CONTENT)
        if entity and len(entity) < len(tag.senses):
            out.append(Tag(entity, tag.start, tag.end, tag.text, tag.confidence))
            continue
        out.append(tag)
    return out


def _options(tag: Tag) -> tuple[str, ...]:
    return tuple(str(s.value) for s in tag.senses if s.kind is Kind.OPTION)


def _items(tag: Tag) -> tuple[str, ...]:
    return tuple(str(s.value) for s in tag.senses if s.kind is Kind.ITEM)


def option_fits(menu: Menu, item_id: str | None, options: tuple[str, ...]) -> str | None:
    """The first of ``options`` that the item accepts, if any."""
    item = menu.item(item_id) if item_id else None
    if item is None:
        return None
    return next((o for o in options if menu.find_option(item, o) is not None), None)


@dataclass(slots=True)
class _Scan:
    frames: list[Frame] = field(default_factory=list)
    cur: Frame = field(default_factory=Frame)
    neg: bool = False
    level: Level | None = None
    prev: Tag | None = None
    saw_conj: bool = False
    mods_at_conj: int = 0  # how many modifiers the current frame had at the last "and"/"or"
    pos_after_head: bool = False  # "a pie with ham ..." : what follows "with" belongs to the pie
    since_head: bool = False  # a quantity, size or ordinal came after the current head
    count: int | None = None  # "with two pumps of vanilla": a count for the next option
    part_with: bool = False  # "one with" / "the other with" before any item: a split part follows

    def close(self, start: int) -> None:
        if not self.cur.empty:
            self.frames.append(self.cur)
        self.cur = Frame(start=start)
        self.pos_after_head = self.since_head = self.part_with = False
        self.mods_at_conj = 0

    def begin(self, start: int) -> Frame:
        if self.cur.empty:
            self.cur.start = start
            self.cur.conj_before = self.saw_conj
            self.saw_conj = False
        return self.cur

    def add_mod(self, tag: Tag, options: tuple[str, ...]) -> None:
        cur = self.begin(tag.start)
        mention = ModMention(options, self.level or Level.REGULAR, self.neg, start=tag.start, end=tag.end)
        mention.count = self.count or 1
        cur.mods.append(mention)
        cur.confidence = min(cur.confidence, tag.confidence)
        self.level = None
        self.count = None


class FrameBuilder:
    """Builds frames for one clause of tags. A new quantity or a second item starts a new frame."""

    def __init__(self, menu: Menu) -> None:
        self.menu = menu
        self._fits_cache: dict[tuple[str, ...], bool] = {}

    def build(self, tags: list[Tag]) -> list[Frame]:
        st = _Scan()
        for k, tag in enumerate(tags):
            nxt = tags[k + 1] if k + 1 < len(tags) else None
            self._step(st, tag, nxt, tags[k + 1 :])
            st.cur.end = max(st.cur.end, tag.end)
            st.prev = tag
        st.close(0)
        return _distribute(_merge_leading_mods(_inherit_pronouns(st.frames), self.menu), self.menu)

    def _step(self, st: _Scan, tag: Tag, nxt: Tag | None, rest: list[Tag]) -> None:
        kind = tag.kind
        if kind is Kind.QTY and tag.text in ("a", "an") and st.part_with:
            return  # "one with a coke": the article of the part's item
        if kind is Kind.QTY and tag.text in ("a", "an") and self._article(st, rest):
            if st.prev is not None and st.prev.kind is Kind.CONJ:
                st.neg = False  # "no whipped cream and an extra shot"
            return
        if kind is Kind.QTY and tag.text not in ("a", "an") and self._counts_option(st, rest, int(tag.value)):
            st.count = int(tag.value)  # "a latte with two pumps of vanilla", "three sugars"
            return
        if kind is Kind.QTY:
            cur = st.cur
            if (
                cur.head is not None
                or cur.mods
                or cur.size is not None
                or cur.ref_item is not None
                or (cur.ordinal is not None and st.saw_conj)  # "the other one plain, and a fries"
            ):
                st.close(tag.start)
            cur = st.begin(tag.start)
            cur.qty, cur.qty_weak = int(tag.value), tag.text in ("a", "an")
            st.neg, st.level = False, None
            st.since_head = True
        elif kind is Kind.ORD and st.prev is not None and st.prev.kind is Kind.REFPREP:
            st.cur.ordinal = int(tag.value)  # "add onions to the first one"
        elif kind is Kind.ORD:
            cur = st.cur
            if cur.head is not None or cur.mods or cur.size is not None or cur.ordinal is not None:
                st.close(tag.start)
            st.begin(tag.start).ordinal = int(tag.value)
            st.neg, st.level = False, None
            st.since_head = True
        elif kind is Kind.SIZE:
            cur = st.cur
            if cur.head is not None and (cur.size is not None or (nxt is not None and nxt.has(Kind.ITEM))):
                st.close(tag.start)
            st.begin(tag.start).size = str(tag.value)
            st.neg = False
            st.since_head = True
        elif kind is Kind.ITEM:
            self._item(st, tag)
        elif kind is Kind.OPTION:
            options = _options(tag)
            cur = st.cur
            if (
                cur.head is not None
                and option_fits(self.menu, cur.head, options) is None
                and self._fits_any(options)
            ):
                st.close(tag.start)
            st.add_mod(tag, options)
        elif kind is Kind.LEVEL:
            if st.prev is None or st.prev.kind is not Kind.NEG:
                st.neg = False
            st.level = Level(str(tag.value))
        elif kind is Kind.NEG:
            st.neg = True
        elif kind is Kind.POS:
            st.neg = False
            if st.cur.head is not None and not st.since_head:
                st.pos_after_head = True
            cur = st.cur
            if (
                cur.head is None
                and not cur.mods
                and ((cur.qty is not None and not cur.qty_weak) or cur.ordinal == -2)
            ):
                st.part_with = True  # "two meals, one with a coke": the coke may be that one's drink
        elif kind is Kind.SIDE and st.cur.mods:
            st.cur.mods[-1].on_side = True
            st.cur.mods[-1].negated = False  # "no tomato and the sauce on the side": wanted, aside
            st.neg = False
        elif kind is Kind.CONJ:
            st.saw_conj = True
            st.mods_at_conj = len(st.cur.mods)
        elif kind in (Kind.REF, Kind.REFPREP) and tag.text in PLURAL_REFS:
            self._plural(st, tag, trailing=nxt is None or tag.text.startswith(("on ", "to ", "for ")))
        elif kind is Kind.REF and tag.text == "one":
            st.begin(tag.start).pronoun = True

    def _plural(self, st: _Scan, tag: Tag, trailing: bool) -> None:
        """ "make them all medium" (before) or "hold the onions on both" (after the modifiers)."""
        cur = st.cur
        if cur.head is None and cur.qty is None:
            cur.all_ref = True
            return
        if cur.head is None and not cur.mods and tag.text in _PARTITIVE:
            cur.partitive = True  # "two of them with no onions": some of the item just named
            return
        if not trailing:
            st.close(tag.start)
            st.begin(tag.start).all_ref = True
            return
        tail = cur.mods[_tail_start(st, cur) :]
        start = len(cur.mods) - len(tail)
        if not tail:
            return
        cur.mods = cur.mods[:start]
        st.close(tag.start)
        fresh = st.begin(tail[0].start)
        fresh.mods, fresh.all_ref = tail, True

    def _counts_option(self, st: _Scan, rest: list[Tag], value: int) -> bool:
        """Is this number a count of the option that follows, inside the current item's modifiers?"""
        cur = st.cur
        if cur.head is None or not (st.pos_after_head or cur.mods):
            return False
        for tag in rest:
            if tag.kind in (Kind.FILLER, Kind.LEVEL):
                continue
            if tag.has(Kind.ITEM) and not tag.has(Kind.OPTION):
                return False
            if tag.kind is not Kind.OPTION:
                return False
            option_id = option_fits(self.menu, cur.head, _options(tag))
            item = self.menu.item(cur.head)
            found = self.menu.find_option(item, option_id) if item is not None and option_id else None
            if found is None:
                return False
            # "two pizzas, one deep dish" is a split (fewer than the item's count, of an option that does
            # not come in counts); "two pumps", "three sugars", "two ranch" (extra) are counts
            split = cur.qty is not None and value < cur.qty and found[1].max_count == 1
            return not split
        return False

    def _fits_any(self, options: tuple[str, ...]) -> bool:
        if options not in self._fits_cache:
            self._fits_cache[options] = any(option_fits(self.menu, i.id, options) for i in self.menu.items)
        return self._fits_cache[options]

    def _article(self, st: _Scan, rest: list[Tag]) -> bool:
        """Is this "a" an article inside the current frame ("without a thin crust")?"""
        if st.prev is not None and st.prev.kind is Kind.NEG:
            return True
        if st.cur.head is None:
            return False
        seen_option = False
        for tag in rest:
            if tag.has(Kind.ITEM):
                return False
            if tag.kind is Kind.SIZE and not seen_option:
                return False  # "... and a large pizza": a new thing
            if tag.kind is Kind.OPTION:
                seen_option = True
            elif tag.kind not in (Kind.LEVEL, Kind.CONJ, Kind.NEG, Kind.POS, Kind.SIDE):
                break
        return True

    def _item(self, st: _Scan, tag: Tag) -> None:
        items = _items(tag)
        options = _options(tag)
        cur, prev = st.cur, st.prev
        if cur.head in items and (
            (st.pos_after_head and not st.since_head)
            or (prev is not None and prev.kind is Kind.REF and prev.end == tag.start)
        ):
            return  # "a pie with ham ... pizza", "... on those pizzas": the same thing again
        # a word that is an option and an item ("bacon"): an option when it fits the current item
        if options and cur.head is not None and option_fits(self.menu, cur.head, options):
            st.add_mod(tag, options)
            return
        if prev is not None and prev.kind in (Kind.REFPREP, Kind.REF) and prev.end == tag.start:
            if cur.head is not None and cur.head not in items and cur.mods:
                # "a hot chocolate, whipped cream on the latte": the trailing modifiers go to the latte
                tail = cur.mods[_tail_start(st, cur) :]
                if tail:
                    cur.mods = cur.mods[: len(cur.mods) - len(tail)]
                    st.close(tail[0].start)
                    fresh = st.begin(tail[0].start)
                    fresh.mods, fresh.ref_item = tail, items[0]
                    st.neg = False
                    return
            st.begin(tag.start).ref_item = items[0]
            st.neg = False
            return
        if st.neg and prev is not None and prev.kind is Kind.NEG:
            st.close(tag.start)
            cur = st.begin(tag.start)
            cur.head, cur.head_alts, cur.negated_head = items[0], items[1:], True
            st.close(tag.end)
            st.neg = False
            return
        if cur.head is not None:
            st.close(tag.start)
        cur = st.begin(tag.start)
        cur.slot_part = st.part_with
        st.part_with = False
        cur.head, cur.head_alts = items[0], items[1:]
        cur.confidence = min(cur.confidence, tag.confidence)
        st.neg, st.level = False, None
        st.pos_after_head = st.since_head = False


def _tail_start(st: _Scan, cur: Frame) -> int:
    """Where the modifiers a trailing "on both" / "on the Y" scopes over begin: after the last
    "and", or where "with A" turns into "no B" ("with bacon and no pickles on the chicken")."""
    start = st.mods_at_conj
    for k in range(len(cur.mods) - 1, 0, -1):
        if cur.mods[k].negated != cur.mods[k - 1].negated:
            start = max(start, k)
            break
    return start


def _inherit_pronouns(frames: list[Frame]) -> list[Frame]:
    last_head: str | None = None
    for frame in frames:
        if frame.head is None and frame.pronoun and last_head is not None:
            frame.head = last_head
        last_head = frame.head or last_head
    return frames


def _merge_leading_mods(frames: list[Frame], menu: Menu) -> list[Frame]:
    """ "go light on the cheese on a large pepperoni pizza": modifiers said before their item."""
    out: list[Frame] = []
    k = 0
    while k < len(frames):
        frame = frames[k]
        nxt = frames[k + 1] if k + 1 < len(frames) else None
        if (
            nxt is not None
            and frame.head is None
            and frame.mods
            and frame.qty is None
            and frame.size is None
            and frame.ref_item is None
            and not frame.all_ref
            and nxt.head is not None
            and not nxt.conj_before
            and all(option_fits(menu, nxt.head, m.options) for m in frame.mods)
        ):
            nxt.mods = [*frame.mods, *nxt.mods]
            nxt.start = frame.start
            k += 1
            continue
        out.append(frame)
        k += 1
    return out


def _distribute(frames: list[Frame], menu: Menu) -> list[Frame]:
    """ "two pizzas, one with ham and one with olives" -> two frames of one pizza each.

    The parts may cover only some of the count: "three cheeseburgers, two of them with no onions"
    is two with the change and one plain, so the total stays what the customer said. A part's change
    may be an item for a combo slot ("two meals, both medium, one with a coke and one with a sprite"):
    the part is one combo followed by its item, which then fills that combo's slot.
    """
    out: list[Frame] = []
    k = 0
    while k < len(frames):
        parent = frames[k]
        if parent.head is None or parent.qty is None or parent.qty < 2:
            out.append(parent)
            k += 1
            continue
        combo = menu.item(parent.head)
        slots = {c for slot in combo.slots for c in slot.choices} if combo is not None else set()
        parts: list[Frame] = []
        count = 0
        j = k + 1
        both = frames[j] if j < len(frames) else None
        if both is not None and both.all_ref and both.head is None and both.size and not both.mods:
            parent.size = parent.size or both.size  # "two meals, both medium, one with ..."
            j += 1
        while j < len(frames) and count < parent.qty:
            part = frames[j]
            if part.slot_part and part.head in slots and part.ref_item is None and not part.all_ref:
                parts.append(part)
                count += 1
                j += 1
                continue
            if part.head is not None or part.ref_item is not None or part.all_ref:
                break
            if part.qty is None and part.ordinal is None:
                break
            if part.ordinal is not None and part.ordinal not in (-2,) and part.qty is None:
                break  # "the second one" names a line; only "the other one" is a part here
            parts.append(part)
            count += part.qty if part.qty is not None and part.ordinal is None else 1
            j += 1
        plain_rest = bool(parts) and all(p.qty is not None and p.ordinal is None for p in parts)
        if not parts or count > parent.qty or (count < parent.qty and not plain_rest):
            out.append(parent)
            k += 1
            continue
        if len(parts) == 1 and count == parent.qty and not parts[0].mods and parts[0].size is None:
            out.append(parent)  # "two cokes ... two": nothing to split
            k += 1
            continue
        if j > k + 1 and not parts:
            out.append(parent)
            k += 1
            continue
        for part in parts:
            if part.slot_part:
                # one combo, then its slot's item: the matcher puts the item into that combo
                item = Frame(qty=1, size=part.size, head=part.head, head_alts=part.head_alts)
                item.mods, item.start, item.end = part.mods, part.start, part.end
                whole = Frame(qty=1, size=parent.size, head=parent.head, head_alts=parent.head_alts)
                whole.mods, whole.start, whole.end = list(parent.mods), part.start, part.start
                out.extend((whole, item))
                continue
            part.head, part.head_alts = parent.head, parent.head_alts
            part.qty = part.qty if part.qty is not None and part.ordinal is None else 1
            part.qty_weak = False
            part.ordinal = None
            part.partitive = False
            part.size = part.size or parent.size
            part.mods = [*parent.mods, *part.mods]
            out.append(part)
        if count < parent.qty:
            rest = Frame(
                qty=parent.qty - count,
                size=parent.size,
                head=parent.head,
                head_alts=parent.head_alts,
                start=parent.start,
                end=parent.end,
                confidence=parent.confidence,
            )
            rest.mods = list(parent.mods)
            out.append(rest)
        k = j
    return out


def frame_specs(frame: Frame, menu: Menu, item_id: str | None) -> tuple[ModifierSpec, ...]:
    """Modifier specs of a frame resolved for one item (options that fit it, first reading)."""
    specs: list[ModifierSpec] = []
    for mod in frame.mods:
        option = option_fits(menu, item_id, mod.options) or mod.options[0]
        specs.append(mod.spec(option))
    return tuple(specs)


def infer_head(frame: Frame, menu: Menu) -> str | None:
    """For "two large with tuna": the one item every mentioned option fits, if there is exactly one."""
    if not frame.mods:
        return None
    fits = [
        item.id
        for item in menu.items
        if item.available
        and not item.is_combo
        and all(option_fits(menu, item.id, m.options) for m in frame.mods)
    ]
    if len(fits) == 1:
        return fits[0]
    return None


__all__ = ["Frame", "FrameBuilder", "ModMention", "Sense", "frame_specs", "infer_head", "resolve_senses"]
