"""Synthetic SLM training data from any menu: templates, paraphrases and ASR-style noise.

Every example is a (prompt, answer) pair built exactly as the hybrid understander builds its calls
(:mod:`orderline.nlu.prompt`), so what the model sees in training is what it sees in service. Nothing
here reads benchmark data: only the menu's names, aliases, sizes and option flags.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from orderline.core.commands import Level, ModifierSpec
from orderline.menu.schema import Item, Menu, ModifierOption
from orderline.nlu.dsl import DslOps, render
from orderline.nlu.prompt import build_prompt

REMOVE = (
    "no {x}",
    "without {x}",
    "hold the {x}",
    "skip the {x}",
    "leave off the {x}",
    "no {x} please",
    "take off the {x}",
    "dont put {x}",
    "i dont want any {x}",
    "minus the {x}",
    "{x} off",
    "with no {x}",
    "nix the {x}",
    "not any {x}",
    "without any {x}",
    "no {x} on it",
    "leave the {x} off",
    "hold {x}",
    "take the {x} off",
    "none of the {x}",
    "no no {x}",
    "remove the {x}",
)
ADD = (
    "add {x}",
    "with {x}",
    "plus {x}",
    "and {x}",
    "put {x} on it",
    "{x}",
    "throw on some {x}",
    "some {x}",
    "add some {x}",
    "with some {x}",
    "can you add {x}",
    "i want {x}",
    "also {x}",
    "and a {x}",
    "with a {x}",
    "get {x}",
    "{x} too",
    "include {x}",
)
LIGHT = (
    "light {x}",
    "easy on the {x}",
    "a little {x}",
    "just a little {x}",
    "go light on the {x}",
    "less {x}",
    "not much {x}",
    "a bit of {x}",
    "a little bit of {x}",
    "light on the {x}",
    "lite {x}",
    "a touch of {x}",
    "go easy on the {x}",
    "not too much {x}",
)
EXTRA = (
    "extra {x}",
    "lots of {x}",
    "double {x}",
    "heavy {x}",
    "more {x}",
    "a lot of {x}",
    "load it up with {x}",
    "plenty of {x}",
    "extra extra {x}",
    "heavy on the {x}",
    "a ton of {x}",
    "double the {x}",
    "a lot more {x}",
    "x tra {x}",
)
SIDE = ("{x} on the side", "side of {x}", "{x} on side", "put the {x} on the side", "{x} on the side please")
LIGHT_SIDE = ("a little {x} on the side", "light {x} on the side")
EXTRA_SIDE = ("extra {x} on the side", "extra {x} on side", "lots of {x} on the side")
JOIN = (" ", ", ", " and ", ", and ", " but ", " with ", " also ", " and also ", " plus ")
LEAD = ("", "", "", "uh ", "um ", "and ", "can you do ", "please ", "oh and ", "make it ", "i want it with ")
TAIL = ("", "", "", " please", " thanks", " thank you", " for me", " if you can")
NONE_SAYS = (
    "thats it",
    "that will be all",
    "uh",
    "please",
    "just the regular",
    "the usual way",
    "as it comes",
    "just like normal",
    "plain is fine",
    "nothing else on it",
    "regular please",
    "thank you",
)
ORDINALS = {1: ("first", "1st", "one"), 2: ("second", "2nd", "two"), 3: ("third", "3rd", "three")}
REF_SIZE = (
    "make the {r} a {s}",
    "can the {r} be {s}",
    "change the {r} to a {s}",
    "{s} for the {r}",
    "the {r} {s}",
)
REF_MOD = ("the {r} {m}", "for the {r} {m}", "on the {r} {m}", "{m} on the {r}", "and the {r} {m}")
HOMOPHONES = {
    "no": ("know", "now"),
    "two": ("to", "too"),
    "light": ("lite", "lite"),
    "side": ("sighed", "site"),
    "extra": ("xtra", "extras"),
    "the": ("a", "uh"),
    "with": ("wit", "width"),
    "hold": ("old", "holds"),
    "some": ("sum", "sam"),
    "add": ("ad", "and"),
    "sauce": ("source", "sauces"),
    "cheese": ("cheez", "jeez"),
    "onions": ("onion", "unions"),
    "mayo": ("mail", "mayonnaise"),
    "large": ("lodge", "larger"),
    "four": ("for", "fore"),
    "off": ("of", "of"),
    "without": ("with out", "widow"),
}


# More ways to say the same things, for a second adapter that should not learn exactly what the first did
# (allergy-style removals, hedged amounts, references by description rather than position).
MORE_REMOVE = (
    "im allergic to {x}",
    "cant have {x}",
    "make sure theres no {x}",
    "absolutely no {x}",
    "no {x} at all",
    "keep the {x} off",
    "dont add {x}",
    "without the {x} please",
    "{x} free",
    "not with {x}",
)
MORE_ADD = ("could i get {x} on that", "do {x} on it", "with {x} on it", "give me {x}", "toss on {x}")
MORE_LIGHT = ("only a little {x}", "barely any {x}", "hardly any {x}", "go lighter on the {x}")
MORE_EXTRA = (
    "a double helping of {x}",
    "really load up the {x}",
    "as much {x} as you can",
    "more {x} than usual",
)
MORE_REF_MOD = ("the {r} should have {m}", "{m} for the {r} please", "can you do {m} on the {r}")
MORE_REF_SIZE = ("actually make the {r} {s}", "switch the {r} to {s}", "i want the {r} in {s}")


@dataclass(frozen=True)
class Mix:
    """What a training set is made of: shares of no-op and reference examples, how often ASR-style noise
    is applied, and whether the extra phrasings join the templates."""

    name: str
    none: float = 0.08
    reference: float = 0.18
    noise: float = 0.35
    more_phrasings: bool = False

    def __post_init__(self) -> None:
        shares_ok = min(self.none, self.reference) >= 0 and self.none + self.reference < 1
        if not shares_ok or not 0 <= self.noise <= 1:
            raise ValueError(f"mix {self.name!r}: shares must be in [0, 1) and sum under 1")


MIXES = {
    "default": Mix("default"),
    "context": Mix("context", none=0.06, reference=0.40, noise=0.6, more_phrasings=True),
}
"""``default`` trained the primary adapter; ``context`` (references, paraphrases, ASR slips) the second."""


@dataclass(frozen=True)
class Example:
    prompt: str
    answer: str
    menu: str
    kind: str

    def as_json(self) -> dict[str, str]:
        return {"prompt": self.prompt, "answer": self.answer, "menu": self.menu, "kind": self.kind}


def synthesize(menus: list[Menu], n: int, seed: int = 0, mix: Mix = MIXES["default"]) -> list[Example]:
    """``n`` examples drawn evenly from ``menus`` (deterministic for a seed and mix)."""
    rng = random.Random(seed)
    gens = [_MenuSynth(menu, rng, mix) for menu in menus]
    out: list[Example] = []
    while len(out) < n:
        for gen in gens:
            out.append(gen.one())
    return out[:n]


class _MenuSynth:
    def __init__(self, menu: Menu, rng: random.Random, mix: Mix = MIXES["default"]) -> None:
        self.menu = menu
        self.rng = rng
        self.mix = mix
        more = mix.more_phrasings
        self.remove = REMOVE + MORE_REMOVE if more else REMOVE
        self.add = ADD + MORE_ADD if more else ADD
        self.light = LIGHT + MORE_LIGHT if more else LIGHT
        self.extra = EXTRA + MORE_EXTRA if more else EXTRA
        self.ref_mod = REF_MOD + MORE_REF_MOD if more else REF_MOD
        self.ref_size = REF_SIZE + MORE_REF_SIZE if more else REF_SIZE
        self.items = [i for i in menu.items if menu.groups_for(i)]
        self.all_items = list(menu.items)

    def one(self) -> Example:
        roll = self.rng.random()
        if roll < self.mix.none:
            return self._none()
        if roll < self.mix.none + self.mix.reference:
            return self._reference()
        return self._modifiers()

    # -- builders ---------------------------------------------------------------------------------

    def _modifiers(self) -> Example:
        item = self.rng.choice(self.items)
        specs = self._specs(item)
        phrase = self._join([self._say_spec(s) for s in specs])
        size = None
        if item.sizes and self.rng.random() < 0.25:
            size = self.rng.choice(list(item.sizes))
            phrase = (
                self._size_words(size) + " " + phrase
                if self.rng.random() < 0.5
                else phrase + f" make it {self._size_words(size)}"
            )
        if self.rng.random() < 0.3:
            phrase = f"{self._surface(item)} {phrase}"
        say = self._noise(self._wrap(phrase))
        parts = build_prompt(self.menu, say, item=item)
        return self._example(parts.render(), DslOps(modifiers=tuple(specs), size=size), "modifiers")

    def _none(self) -> Example:
        item = self.rng.choice(self.items)
        say = self.rng.choice(NONE_SAYS)
        if self.rng.random() < 0.5:
            say = f"{self._surface(item)} {say}"
        parts = build_prompt(self.menu, self._noise(say), item=item)
        return self._example(parts.render(), DslOps(), "none")

    def _reference(self) -> Example:
        lines = tuple(self.rng.choice(self.all_items) for _ in range(self.rng.randint(1, 3)))
        k = self.rng.randrange(len(lines))
        target = lines[k]
        ref = self._ref_words(lines, k)
        sizes = list(target.sizes)
        if sizes and (not self.menu.groups_for(target) or self.rng.random() < 0.4):
            size = self.rng.choice(sizes)
            say = self.rng.choice(self.ref_size).format(r=ref, s=self._size_words(size))
            ops = DslOps(size=size, line=k + 1)
        elif self.menu.groups_for(target):
            specs = self._specs(target, most=2)
            say = self.rng.choice(self.ref_mod).format(
                r=ref, m=self._join([self._say_spec(s) for s in specs])
            )
            ops = DslOps(modifiers=tuple(specs), line=k + 1)
        else:
            return self._modifiers()
        parts = build_prompt(self.menu, self._noise(self._wrap(say)), lines=lines)
        return self._example(parts.render(), ops, "reference")

    def _example(self, prompt: str, ops: DslOps, kind: str) -> Example:
        return Example(prompt=prompt, answer=render(ops), menu=self.menu.id, kind=kind)

    # -- pieces -----------------------------------------------------------------------------------

    def _specs(self, item: Item, most: int = 3) -> list[ModifierSpec]:
        groups = list(self.menu.groups_for(item))
        k = min(len(groups) * 2, self.rng.choices([1, 2, 3], weights=[0.5, 0.35, 0.15])[0], most)
        chosen: list[ModifierSpec] = []
        for _ in range(k * 3):
            group = self.rng.choice(groups)
            option = self.rng.choice(group.options)
            taken = [c for c in chosen if group.option(c.option) is not None]
            if option.id in {c.option for c in chosen} or len(taken) >= group.max:
                continue
            chosen.append(self._spec(option, removable=group.max > 1 or option.default))
            if len(chosen) == k:
                break
        return chosen

    def _spec(self, option: ModifierOption, removable: bool = True) -> ModifierSpec:
        r = self.rng.random()
        if (option.default and r < 0.6) or (removable and not option.default and r < 0.15):
            return ModifierSpec(option=option.id, negated=True)
        level = Level.REGULAR
        if option.levels:
            level = self.rng.choices([Level.REGULAR, Level.LIGHT, Level.EXTRA], weights=[0.5, 0.25, 0.25])[0]
        side = option.side and self.rng.random() < 0.35
        return ModifierSpec(option=option.id, level=level, on_side=side)

    def _say_spec(self, spec: ModifierSpec) -> str:
        option = self._option(spec.option)
        x = self._option_words(option)
        pool: tuple[str, ...]
        if spec.negated:
            pool = self.remove
        elif spec.on_side:
            pool = {Level.LIGHT: LIGHT_SIDE, Level.EXTRA: EXTRA_SIDE}.get(spec.level, SIDE)
        else:
            pool = {Level.LIGHT: self.light, Level.EXTRA: self.extra}.get(spec.level, self.add)
        return self.rng.choice(pool).format(x=x)

    def _option(self, option_id: str) -> ModifierOption:
        for group in self.menu.modifier_groups:
            found = group.option(option_id)
            if found is not None:
                return found
        raise KeyError(option_id)

    def _option_words(self, option: ModifierOption) -> str:
        forms = [
            option.name.lower(),
            *(a.lower() for a in option.aliases),
            *(p.lower() for p in option.pronunciations),
        ]
        word = self.rng.choice(forms)
        r = self.rng.random()
        if r < 0.1 and word.endswith("s"):
            word = word[:-1]
        elif r < 0.2 and not word.endswith("s"):
            word += "s"
        return word

    def _surface(self, item: Item) -> str:
        forms = [item.name.lower(), *(a.lower() for a in item.aliases)]
        return self.rng.choice(("", "a ", "the ", "one ", "my ")) + self.rng.choice(forms)

    def _size_words(self, size: str) -> str:
        entry = self.menu.size_index.get(size)
        forms = [size.replace("_", " ")]
        if entry is not None:
            forms += [entry.name.lower(), *(a.lower() for a in entry.aliases)]
        return self.rng.choice(forms)

    def _ref_words(self, lines: tuple[Item, ...], k: int) -> str:
        r = self.rng.random()
        if k == len(lines) - 1 and r < 0.25:
            return self.rng.choice(("last one", "last", "one i just ordered", "that one"))
        if r < 0.6 and k + 1 in ORDINALS:
            return self.rng.choice(ORDINALS[k + 1]) + self.rng.choice(
                (" one", " item", "", f" {lines[k].name.lower()}")
            )
        return self._surface(lines[k]).split(" ", 1)[-1]

    def _join(self, phrases: list[str]) -> str:
        out = phrases[0]
        for p in phrases[1:]:
            out += self.rng.choice(JOIN) + p
        return out

    def _wrap(self, phrase: str) -> str:
        return self.rng.choice(LEAD) + phrase + self.rng.choice(TAIL)

    def _noise(self, say: str) -> str:
        """ASR-style noise: homophones, a dropped or merged word, a one-letter slip."""
        if self.rng.random() > self.mix.noise:
            return say
        words = say.split()
        for _ in range(self.rng.randint(1, 2)):
            r = self.rng.random()
            k = self.rng.randrange(len(words))
            if r < 0.4 and words[k] in HOMOPHONES:
                words[k] = self.rng.choice(HOMOPHONES[words[k]])
            elif r < 0.55 and len(words) > 3 and words[k] in ("the", "a", "uh", "and", "please", "some"):
                del words[k]
            elif r < 0.7 and k + 1 < len(words):
                words[k : k + 2] = [words[k] + words[k + 1]]
            elif len(words[k]) > 4:
                w = words[k]
                j = self.rng.randrange(1, len(w) - 1)
                words[k] = w[:j] + self.rng.choice("aeiourstnl") + w[j + 1 :]
        return " ".join(words)


def examples_iter(examples: list[Example]) -> Iterator[dict[str, str]]:
    for ex in examples:
        yield ex.as_json()
