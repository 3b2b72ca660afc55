"""The compact command DSL the SLM speaks, and the menu-derived grammar it decodes under.

One SLM answer is a line of space-separated words::

    -onions +mayo=light +pickles=extra +ranch@side size=large
    line=2 size=large
    none          (the span asks for no change)
    ?             (the model cannot tell: fail closed, ask)

``-X`` removes option X, ``+X`` adds it (``=light``/``=extra`` sets the level, ``@side`` serves it on the
side), ``size=S`` sets the size, ``line=N`` (first word only) picks an existing order line. The
vocabulary is closed and built from the menu for one call (:func:`grammar_words`), so a decoder that
follows it can only name real options and sizes. :func:`parse_dsl` is strict: any word outside the
grammar makes the whole answer invalid; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orderline.core.commands import Level, ModifierSpec
from orderline.menu.schema import Item, Menu
from orderline.slm.grammar import Grammar

NONE = "none"
UNSURE = "?"
_LEVELS = {"light": Level.LIGHT, "extra": Level.EXTRA}


class DslError(ValueError):
    """An SLM answer that is not a sentence of the call's grammar."""


@dataclass(frozen=True)
class DslOps:
    """A parsed SLM answer."""

    modifiers: tuple[ModifierSpec, ...] = ()
    size: str | None = None
    line: int | None = None
    unsure: bool = False

    @property
    def empty(self) -> bool:
        return not self.modifiers and self.size is None


@dataclass(frozen=True)
class CallContext:
    """What one SLM call may talk about: the item's options and sizes, and how many order lines exist."""

    options: tuple[str, ...]
    sizes: tuple[str, ...] = ()
    n_lines: int = 0
    levels: frozenset[str] = field(default_factory=frozenset)
    sides: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_items(cls, menu: Menu, items: list[Item], n_lines: int = 0) -> CallContext:
        options: dict[str, None] = {}
        sizes: dict[str, None] = {}
        levels: set[str] = set()
        sides: set[str] = set()
        for item in items:
            for group in menu.groups_for(item):
                for option in group.options:
                    options[option.id] = None
                    if option.levels:
                        levels.add(option.id)
                    if option.side:
                        sides.add(option.id)
            for size in item.sizes:
                sizes[size] = None
        return cls(tuple(options), tuple(sizes), n_lines, frozenset(levels), frozenset(sides))


def modifier_word(spec: ModifierSpec) -> str:
    """The DSL word of one modifier (``-onions``, ``+mayo=light``, ``+ranch@side``)."""
    if spec.negated:
        return f"-{spec.option}"
    word = f"+{spec.option}"
    if spec.level is not Level.REGULAR:
        word += f"={spec.level.value}"
    if spec.on_side:
        word += "@side"
    return word


def render(ops: DslOps) -> str:
    """The DSL line for parsed ops (inverse of :func:`parse_dsl`)."""
    if ops.unsure:
        return UNSURE
    words = [f"line={ops.line}"] if ops.line is not None else []
    words += [modifier_word(m) for m in ops.modifiers]
    if ops.size is not None:
        words.append(f"size={ops.size}")
    if ops.empty:
        words.append(NONE)
    return " ".join(words)


def grammar(ctx: CallContext) -> Grammar:
    """The closed word grammar for one call: only this call's options, sizes and lines."""
    body: set[str] = {f"size={s}" for s in ctx.sizes}
    for option in ctx.options:
        body.add(f"-{option}")
        body.add(f"+{option}")
        suffixes = [""]
        if option in ctx.levels:
            body.update({f"+{option}=light", f"+{option}=extra"})
            suffixes += ["=light", "=extra"]
        if option in ctx.sides:
            body.update(f"+{option}{s}@side" for s in suffixes)
    lead = frozenset(f"line={n}" for n in range(1, ctx.n_lines + 1))
    return Grammar(body=frozenset(body), lead=lead, solo=frozenset({NONE, UNSURE}), empty_after_lead=NONE)


def parse_dsl(text: str, ctx: CallContext) -> DslOps:
    """Parse one answer under the call's grammar; raise :class:`DslError` on anything else."""
    words = text.split()
    if not words:
        raise DslError("empty answer")
    if words == [UNSURE]:
        return DslOps(unsure=True)
    line: int | None = None
    if words[0].startswith("line="):
        value = words.pop(0)[5:]
        # the grammar's words only: str.isdigit() also takes "²" (int() does not) and 5,000-digit numbers
        if value not in {str(n) for n in range(1, ctx.n_lines + 1)}:
            raise DslError(f"no order line {value!r}")
        line = int(value)
    if words == [NONE]:
        return DslOps(line=line)
    modifiers: list[ModifierSpec] = []
    size: str | None = None
    for word in words:
        if word.startswith("size="):
            if word[5:] not in ctx.sizes or size is not None:
                raise DslError(f"bad size word {word!r}")
            size = word[5:]
        elif word[:1] in "+-":
            modifiers.append(_modifier(word, ctx))
        else:
            raise DslError(f"unknown word {word!r}")
    seen = [m.option for m in modifiers]
    if len(set(seen)) != len(seen):
        raise DslError("an option is named twice")
    return DslOps(modifiers=tuple(modifiers), size=size, line=line)


def _modifier(word: str, ctx: CallContext) -> ModifierSpec:
    negated = word[0] == "-"
    rest = word[1:]
    on_side = rest.endswith("@side")
    rest = rest.removesuffix("@side")
    option, _, level = rest.partition("=")
    if option not in ctx.options:
        raise DslError(f"{option!r} is not an option here")
    if negated and (on_side or level):
        raise DslError(f"{word!r}: a removal takes no level or side")
    if level and (level not in _LEVELS or option not in ctx.levels):
        raise DslError(f"{word!r}: level not allowed")
    if on_side and option not in ctx.sides:
        raise DslError(f"{word!r}: not served on the side")
    return ModifierSpec(
        option=option, negated=negated, on_side=on_side, level=_LEVELS.get(level, Level.REGULAR)
    )
