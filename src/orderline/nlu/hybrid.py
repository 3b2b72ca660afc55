"""Tier 1 plus the SLM at its call points: the production understander.

Tier 1 runs first. Only where its coverage report finds unexplained or approximate words
(:mod:`orderline.nlu.callpoints`) is the fallback chain asked, with the span, the item's menu context
and a grammar built from the menu. The answer is parsed and validated (:mod:`orderline.nlu.dsl`); a
valid answer refines tier 1's commands and carries model provenance; when every model fails, the
utterance becomes ``CannotHandle`` unless tier 1 was confident on its own, so the dialog asks a
clarifying question (and hands off after repeated failures) instead of guessing.

A removal is what a customer can least afford to have guessed ("no onions" for an allergy). When the
answer removes something (or "adds" what the item already comes with, a removal misread) and the chain has
a reviewer, the second adapter reads the same call; where the two disagree on a removal, that option is
left off the line and the customer is asked ("Should the Cheeseburger have no onions?").
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, replace

from orderline.core.commands import (
    AddItem,
    CannotHandle,
    Command,
    Level,
    ModifierSpec,
    ModifyLine,
    SetSize,
    Unplaced,
)
from orderline.core.provenance import Provenance, Source
from orderline.core.text import normalize
from orderline.menu.schema import Item, Menu
from orderline.nlu.callpoints import CallKind, CallPoint, find_call_points
from orderline.nlu.chain import ChainAnswer, FallbackChain
from orderline.nlu.coverage import SlmCall, Understanding
from orderline.nlu.dsl import CallContext, DslOps, grammar
from orderline.nlu.grounding import ground
from orderline.nlu.matcher import RuleMatcher
from orderline.nlu.prompt import build_prompt, likeness, option_forms, option_likeness
from orderline.order.state import Order

KEEP_TIER1_CONFIDENCE = 0.3


@dataclass
class HybridStats:
    utterances: int = 0
    with_calls: int = 0
    calls: int = 0
    failed_calls: int = 0


class HybridUnderstander:
    """:class:`~orderline.nlu.base.Understander` = tier-1 rules + SLM fallback chain at call points."""

    def __init__(self, menu: Menu, chain: FallbackChain, rules: RuleMatcher | None = None) -> None:
        self.menu = menu
        self.rules = rules or RuleMatcher(menu)
        self.chain = chain
        self.stats = HybridStats()
        self.name = "hybrid"

    async def understand_async(self, text: str, order: Order) -> Understanding:
        tier1 = self.rules.understand(text, order)
        points = find_call_points(self.menu, self.rules.tagger, tier1, order)
        self.stats.utterances += 1
        if not points:
            return tier1
        self.stats.with_calls += 1
        answers = await asyncio.gather(*(self._ask(p) for p in points))
        commands = list(tier1.commands)
        calls: list[SlmCall] = []
        failed = False
        replaced: list[Command] | None = None
        asks: list[Command] = []
        for point, answer in zip(points, answers, strict=True):
            self.stats.calls += 1
            calls.append(_record(point, answer))
            if answer.ops is None or answer.result is None:
                self.stats.failed_calls += 1
                failed = True
                continue
            prov = Provenance(
                source=Source.MODEL,
                name=answer.result.model,
                confidence=answer.result.confidence,
                latency_ms=answer.latency_ms,
                span=point.say,
            )
            if point.kind is CallKind.MODIFIERS and point.command_index is not None:
                refined, ask = _refine(
                    commands[point.command_index],
                    answer.ops,
                    prov,
                    self.menu,
                    point.say,
                    _trouble(tier1),
                    frozenset(answer.disputed),
                )
                commands[point.command_index] = refined
                asks.extend(self._confirm(refined, ask, prov))
            elif point.kind is CallKind.REFERENCE:
                ops = _evidenced(answer.ops, point, self.menu, _trouble(tier1))
                candidate = _reference_commands(point, ops, prov)
                if candidate is not None and _same_lines(candidate, tier1.commands):
                    replaced = candidate
        if replaced is not None:
            commands = replaced
        commands.extend(asks)
        if failed and tier1.coverage.confidence < KEEP_TIER1_CONFIDENCE:
            reason = "the model could not place: " + "; ".join(p.say for p in points)
            commands = [CannotHandle(reason=reason, text=text)]
        return Understanding(text=text, commands=tuple(commands), coverage=tier1.coverage, calls=tuple(calls))

    async def fill(self, item: Item, say: str) -> ChainAnswer:
        """The modifier call point on its own: what the chain makes of ``say`` for a new ``item``."""
        return await self._ask(CallPoint(CallKind.MODIFIERS, say, "direct", item=item))

    async def _ask(self, point: CallPoint) -> ChainAnswer:
        if point.kind is CallKind.MODIFIERS and point.item is not None:
            known: tuple[Item, ...] = (point.item,)
            parts = build_prompt(self.menu, point.say, item=point.item)
            ctx = CallContext.for_items(self.menu, [point.item])
        else:
            known = tuple(i for i in (self.menu.item(line.item) for line in point.lines) if i is not None)
            parts = build_prompt(self.menu, point.say, lines=known)
            ctx = CallContext.for_items(self.menu, list(known), n_lines=len(known))
        prompt, call_grammar = parts.render(), grammar(ctx)
        answer = self._grounded(await self.chain.ask(prompt, call_grammar, ctx), known, point.say)
        if answer.ops is None or not self._worth_review(answer.ops, known):
            return answer
        review = await self.chain.second_opinion(answer, prompt, call_grammar, ctx)
        if review is None:
            return answer
        review = self._grounded(review, known, point.say)
        disputed: tuple[str, ...] = ()
        if review.ops is not None:
            disputed = tuple(sorted(_removals(answer.ops) ^ _removals(review.ops)))
        return replace(answer, review=review, disputed=disputed)

    def _grounded(self, answer: ChainAnswer, known: tuple[Item, ...], say: str) -> ChainAnswer:
        if answer.ops is None:
            return answer
        line = answer.ops.line
        items = [known[line - 1]] if line and line <= len(known) else list(known)
        return replace(answer, ops=ground(answer.ops, self.menu, items, say))

    def _worth_review(self, ops: DslOps, known: tuple[Item, ...]) -> bool:
        """A removal, or an "addition" of what the item already comes with (a removal misread)."""
        if self.chain.reviewer is None:
            return False
        for spec in ops.modifiers:
            if spec.negated:
                return True
            if spec.level is not Level.REGULAR or spec.on_side:
                continue  # "extra pickles", "mayo on the side": not a removal misread
            for item in known:
                found = self.menu.find_option(item, spec.option)
                if found is not None and found[1].default:
                    return True
        return False

    def _confirm(self, command: Command, options: list[str], prov: Provenance) -> list[Command]:
        """Ask about removals the two adapters disagree on, in words tier 1 reads back ("no onions")."""
        item = self.menu.item(command.item) if isinstance(command, AddItem) else None
        out: list[Command] = []
        for option_id in options:
            found = self.menu.find_option(item, option_id) if item is not None else None
            if found is None:
                continue
            disputed = prov.model_copy(update={"name": f"{prov.name} (disputed by the reviewer)"})
            out.append(
                Unplaced(words=f"no {found[1].name.lower()}", options=(option_id,), provenance=disputed)
            )
        return out

    async def aclose(self) -> None:
        """The chain's backends belong to whoever built them (the engine); nothing of ours to release."""
        return


def _trouble(understanding: Understanding) -> set[str]:
    cov = understanding.coverage
    return {w for span in (*cov.unknown, *cov.fuzzy) for w in span.text.split()}


def _near_trouble(option_words: set[str], words: tuple[str, ...], trouble: frozenset[str] | set[str]) -> bool:
    """Is an unexplained word just before a mention of the option ("nix the onions")?"""
    return any(
        w in option_words and any(x in trouble for x in words[max(0, k - 3) : k]) for k, w in enumerate(words)
    )


def _refine(
    command: Command,
    ops: DslOps,
    prov: Provenance,
    menu: Menu,
    say: str,
    trouble: frozenset[str] | set[str] = frozenset(),
    disputed: frozenset[str] = frozenset(),
) -> tuple[Command, list[str]]:
    """Merge a model answer into tier 1's AddItem; deterministic where the words were heard exactly.

    Returns the command and the ``disputed`` options left off it to be asked about (those not heard
    exactly: tier 1's exact reading is not in dispute).

    * an option tier 1 matched on words heard exactly, with no unexplained word just before it, keeps
      tier 1's reading (the model may not flip "no pineapple" into "pineapple"); "nix the onions" is
      the model's to read;
    * an option tier 1 matched only approximately, or not at all, takes the model's reading, provided
      at least one of its words was heard (no additions out of thin air: "beautiful" is not pesto).
    """
    if not isinstance(command, AddItem):
        return command, []
    item = menu.item(command.item)
    if item is None:
        return command, []
    words = normalize(say)
    text = " ".join(words)

    def heard(option_id: str) -> tuple[float, float]:
        found = menu.find_option(item, option_id)
        if found is None:
            return (0.0, 0.0)
        return option_likeness(found[1], words, text)

    def option_words(option_id: str) -> set[str]:
        found = menu.find_option(item, option_id)
        if found is None:
            return set()
        o = found[1]
        return {w for f in (o.name.lower(), *(a.lower() for a in o.aliases)) for w in f.split()}

    exact = {
        m.option
        for m in command.modifiers
        if heard(m.option) >= (1.0, 100.0) and not _near_trouble(option_words(m.option), words, trouble)
    }
    tier1_heard = {m.option for m in command.modifiers if heard(m.option) >= (1.0, 100.0)}

    def evidence(option_id: str) -> bool:
        """Did the customer say anything for the model's option? Its own words, heard exactly, outside the
        words of another option tier 1 heard exactly ("red peppers" is no evidence for "peppers"); or an
        unexplained word that sounds like it ("bake in" for bacon). A word tier 1 explained as something
        else (a quantity, an item, another option) is not evidence for it ("four" is not "7.5 fl oz")."""
        found = menu.find_option(item, option_id)
        if found is None:
            return False
        others = [menu.find_option(item, o) for o in tier1_heard - {option_id}]
        masked = _mask(text, [form for f in others if f is not None for form in option_forms(f[1])])
        return _said(option_forms(found[1]), masked, trouble)

    def asked_for(option_id: str) -> bool:
        """Tier 1 heard the customer ask for an option the item does not come with ("only cheese and
        olives"): with the second adapter not removing it either, the primary's removal is outvoted."""
        found = menu.find_option(item, option_id)
        spec = next((m for m in command.modifiers if m.option == option_id), None)
        return found is not None and not found[1].default and spec is not None and not spec.negated

    ask = sorted(o for o in disputed - exact if not (o in tier1_heard and asked_for(o)))
    accepted = [
        m for m in ops.modifiers if m.option not in exact and m.option not in disputed and evidence(m.option)
    ]
    tier1_levels = {m.option: m.level for m in command.modifiers if m.level is not Level.REGULAR}
    accepted = [  # "extra chees": the model reads the option, tier 1 heard the amount ("extra") exactly
        m.model_copy(update={"level": tier1_levels[m.option]})
        if m.level is Level.REGULAR and not m.negated and m.option in tier1_levels
        else m
        for m in accepted
    ]
    if not accepted and not ask and (command.size is not None or ops.size is None):
        return command, []
    named = {m.option for m in accepted} | set(ask)
    kept: list[ModifierSpec] = [m for m in command.modifiers if m.option not in named]
    size = command.size if command.size is not None else ops.size
    update = {"modifiers": (*kept, *accepted), "size": size, "provenance": prov}
    return command.model_copy(update=update), ask


def _evidenced(ops: DslOps, point: CallPoint, menu: Menu, trouble: set[str]) -> DslOps:
    """A reference answer less what the customer gave no evidence for: an option none of whose words was
    heard (exactly, or as an unexplained word that sounds like it), a size never said ("make it decaf" is
    not "size=small")."""
    if ops.line is None or not 1 <= ops.line <= len(point.lines):
        return ops
    item = menu.item(point.lines[ops.line - 1].item)
    if item is None:
        return ops
    text = " ".join(normalize(point.say))

    def said(forms: set[str]) -> bool:
        return _said(forms, text, trouble)

    modifiers = tuple(
        m
        for m in ops.modifiers
        if (found := menu.find_option(item, m.option)) is not None and said(option_forms(found[1]))
    )
    size = ops.size
    if size is not None:
        entry = menu.size_index.get(size)
        forms = {
            size.replace("_", " "),
            *((entry.name.lower(), *(a.lower() for a in entry.aliases)) if entry else ()),
        }
        size = size if said(forms) else None
    return replace(ops, modifiers=modifiers, size=size)


def _said(forms: Collection[str], text: str, trouble: frozenset[str] | set[str]) -> bool:
    """Is there evidence in ``text`` (normalised words) that the customer said one of ``forms``: heard
    exactly (every word, and the form verbatim), or as words tier 1 could not explain that sound like it
    ("bake in" for bacon)? The one test for both a modifier answer and a reference answer."""
    words = tuple(text.split())
    if forms and max(likeness(f, words, text) for f in forms) >= (1.0, 100.0):
        return True
    unexplained = tuple(w for w in words if w in trouble)
    return (
        bool(unexplained and forms)
        and max(likeness(f, unexplained, " ".join(unexplained))[0] for f in forms) > 0
    )


def _same_lines(candidate: list[Command], tier1: tuple[Command, ...]) -> bool:
    """Tier 1 resolved the reference to lines ("the drink", "the last thing"): the model may say what
    changes, not move it to another line."""
    lines = {c.line for c in tier1 if isinstance(c, ModifyLine | SetSize)}
    return not lines or all(c.line in lines for c in candidate if isinstance(c, ModifyLine | SetSize))


def _mask(text: str, forms: list[str]) -> str:
    """``text`` with every whole-word occurrence of ``forms`` (longest first) blanked out."""
    padded = f" {text} "
    for form in sorted(set(forms), key=len, reverse=True):
        padded = padded.replace(f" {form} ", " " * (len(form) + 2))
    return " ".join(padded.split())


def _removals(ops: DslOps) -> set[str]:
    return {m.option for m in ops.modifiers if m.negated}


def _reference_commands(point: CallPoint, ops: DslOps, prov: Provenance) -> list[Command] | None:
    if ops.line is None or not 1 <= ops.line <= len(point.lines):
        return None
    line_id = point.lines[ops.line - 1].id
    out: list[Command] = []
    if ops.modifiers:
        out.append(ModifyLine(line=line_id, modifiers=ops.modifiers, provenance=prov))
    if ops.size is not None:
        out.append(SetSize(line=line_id, size=ops.size, provenance=prov))
    return out or None


def _record(point: CallPoint, answer: ChainAnswer) -> SlmCall:
    return SlmCall(
        kind=point.kind.value,
        say=point.say,
        reason=point.reason,
        model=answer.result.model if answer.result else "",
        answer=answer.result.text if answer.result else "",
        ok=answer.ops is not None,
        latency_ms=round(answer.latency_ms, 2),
        attempts=tuple(f"{a.backend}:{'ok' if a.ok else a.error}" for a in answer.attempts) + _review(answer),
    )


def _review(answer: ChainAnswer) -> tuple[str, ...]:
    review = answer.review
    if review is None:
        return ()
    last = review.attempts[-1] if review.attempts else None
    if review.ops is None:
        return (f"review:{last.backend if last else '?'}:{last.error if last else 'no answer'}",)
    verdict = "disputes " + ",".join(answer.disputed) if answer.disputed else "agrees"
    return (f"review:{review.result.model if review.result else '?'}:{verdict}",)
