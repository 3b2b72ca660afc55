"""Menu schema. A menu is frozen data: the order state machine prices and validates against it.

Prices are written in the currency's major unit (``4.99``) and stored as integer cents so that
totals are exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_PRICE = Decimal(1_000_000)
_CACHED = ("item_index", "group_index", "size_index")


def _to_cents(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("price must be a number, not a boolean")
    if isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value))
            if not amount.is_finite() or abs(amount) > MAX_PRICE:
                raise ValueError(f"price {value!r} is out of range (at most {MAX_PRICE})")
            return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        except ArithmeticError as exc:
            raise ValueError(f"price {value!r} is not a number") from exc
    return value


Cents = Annotated[int, BeforeValidator(_to_cents), Field(ge=0)]
SignedCents = Annotated[int, BeforeValidator(_to_cents)]
Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Size(_Frozen):
    """A size the menu knows (small, large, party size ...)."""

    id: Ident
    name: str
    aliases: tuple[str, ...] = ()
    code: str | None = None


class ModifierOption(_Frozen):
    """One choice inside a modifier group: an included ingredient, a paid add-on, a style."""

    id: Ident
    name: str
    aliases: tuple[str, ...] = ()
    pronunciations: tuple[str, ...] = ()
    price: Cents = 0
    extra_price: Cents | None = None
    default: bool = Field(default=False, description="included unless removed (e.g. onions on a burger)")
    levels: bool = Field(default=True, description="light/extra allowed")
    side: bool = Field(default=False, description="may be served on the side")
    available: bool = True
    code: str | None = None
    max_count: int = Field(
        default=1, ge=1, le=20, description="how many of it one line may have (pumps, shots, sugars)"
    )
    unit: str | None = Field(
        default=None, description='what one of it is called: "pump" -> "two pumps of vanilla"'
    )

    @property
    def price_extra(self) -> int:
        """Price charged when the customer asks for extra."""
        return self.price if self.extra_price is None else self.extra_price


class ModifierGroup(_Frozen):
    """Options that share a rule: how many may be chosen, whether one must be."""

    id: Ident
    name: str
    min: int = Field(default=0, ge=0)
    max: int = Field(default=1, ge=1)
    options: tuple[ModifierOption, ...]
    code: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ModifierGroup:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        ids = [o.id for o in self.options]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate option ids: {', '.join(dupes)}")
        if not self.options:
            raise ValueError("a modifier group needs at least one option")
        return self

    def option(self, option_id: str) -> ModifierOption | None:
        return next((o for o in self.options if o.id == option_id), None)


class ComboSlot(_Frozen):
    """A part of a combo filled by choosing an item (the side, the drink)."""

    id: Ident
    name: str
    choices: tuple[Ident, ...]
    default: Ident | None = None
    upcharges: dict[Ident, Cents] = Field(default_factory=dict)
    takes_size: bool = Field(default=True, description="slot item gets the combo's size")


class Item(_Frozen):
    """Something a customer can order: a single item or a combo (an item with slots)."""

    id: Ident
    name: str
    category: Ident
    aliases: tuple[str, ...] = ()
    pronunciations: tuple[str, ...] = ()
    price: Cents = 0
    sizes: dict[Ident, Cents] = Field(default_factory=dict, description="size id -> price")
    default_size: Ident | None = None
    size_required: bool = Field(default=True, description="ask for a size when none is given")
    modifier_groups: tuple[Ident, ...] = ()
    main: Ident | None = Field(default=None, description="for combos: the main item")
    slots: tuple[ComboSlot, ...] = ()
    available: bool = True
    dayparts: tuple[Ident, ...] = ()
    max_quantity: int | None = Field(default=None, ge=1)
    code: str | None = None

    @property
    def is_combo(self) -> bool:
        return bool(self.slots)

    def price_for(self, size: str | None) -> int:
        """Price for a size; unsized, the default size, else the base price, else the smallest size."""
        if self.sizes and size in self.sizes:
            return self.sizes[size]
        if self.sizes and self.default_size is not None:
            return self.sizes[self.default_size]
        if self.sizes and not self.price:
            return min(self.sizes.values())
        return self.price


class Daypart(_Frozen):
    id: Ident
    start: str = Field(pattern=r"^\d\d:\d\d$")
    end: str = Field(pattern=r"^\d\d:\d\d$")


class Limits(_Frozen):
    max_quantity_per_line: int = Field(default=20, ge=1)
    max_lines: int = Field(default=40, ge=1)


class Upsell(_Frozen):
    """Offer ``offer`` once per order when the order has ``when_category`` and lacks ``unless_category``."""

    offer: Ident
    prompt: str
    when_category: Ident | None = None
    unless_category: Ident | None = None


class Menu(_Frozen):
    """A restaurant's menu. Build one with :func:`orderline.menu.loader.load_menu`."""

    id: Ident
    name: str
    currency: str = "USD"
    tax_rate: float = Field(default=0.0, ge=0.0, lt=1.0)
    limits: Limits = Limits()
    sizes: tuple[Size, ...] = ()
    categories: tuple[Ident, ...] = ()
    dayparts: tuple[Daypart, ...] = ()
    modifier_groups: tuple[ModifierGroup, ...] = ()
    items: tuple[Item, ...]
    upsells: tuple[Upsell, ...] = ()
    greeting: str = "Welcome! What can I get for you today?"

    @cached_property
    def item_index(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def group_index(self) -> dict[str, ModifierGroup]:
        return {g.id: g for g in self.modifier_groups}

    @cached_property
    def size_index(self) -> dict[str, Size]:
        return {s.id: s for s in self.sizes}

    def item(self, item_id: str) -> Item | None:
        return self.item_index.get(item_id)

    def groups_for(self, item: Item) -> tuple[ModifierGroup, ...]:
        """Modifier groups that apply to an item (a combo uses its main item's groups)."""
        ids = item.modifier_groups
        if not ids and item.main is not None:
            main = self.item_index.get(item.main)
            ids = main.modifier_groups if main is not None else ()
        return tuple(self.group_index[g] for g in ids if g in self.group_index)

    def find_option(self, item: Item, option_id: str) -> tuple[ModifierGroup, ModifierOption] | None:
        for group in self.groups_for(item):
            option = group.option(option_id)
            if option is not None:
                return group, option
        return None

    def size_name(self, size_id: str) -> str:
        size = self.size_index.get(size_id)
        return size.name if size is not None else size_id.replace("_", " ")

    def with_availability(self, unavailable: set[str], available: set[str] | None = None) -> Menu:
        """Return a copy with items or options marked 86'd (unavailable) or back on."""
        back = available or set()

        def flag(entity_id: str, current: bool) -> bool:
            if entity_id in unavailable:
                return False
            if entity_id in back:
                return True
            return current

        items = tuple(i.model_copy(update={"available": flag(i.id, i.available)}) for i in self.items)
        groups = tuple(
            g.model_copy(
                update={
                    "options": tuple(
                        o.model_copy(update={"available": flag(o.id, o.available)}) for o in g.options
                    )
                }
            )
            for g in self.modifier_groups
        )
        menu = self.model_copy(update={"items": items, "modifier_groups": groups})
        for key in _CACHED:  # model_copy keeps cached lookups of the original: drop them
            menu.__dict__.pop(key, None)
        return menu
