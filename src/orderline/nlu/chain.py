"""The fallback chain: primary adapter -> second adapter -> few-shot base -> (caller) clarify -> handoff.

Each step has its own deadline and the whole call has one too; a step that fails (error, timeout,
answer outside the grammar, or an explicit ``?``) passes the call to the next. The chain never raises:
it returns the first valid answer or ``None`` with the attempts it made, for provenance and metrics.

A chain may name a ``reviewer`` (the second adapter, trained on a different mix and seed): the caller asks
it for a second opinion on answers that matter most (removals: "no X", "without Y"), within what is left
of the call's deadline, and confirms with the customer where the two disagree.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import structlog

from orderline.nlu.dsl import CallContext, DslError, DslOps, parse_dsl
from orderline.slm.base import SlmBackend, SlmError, SlmRequest, SlmResult
from orderline.slm.grammar import Grammar

log = structlog.get_logger("orderline.nlu.chain")


@dataclass(frozen=True)
class Step:
    backend: SlmBackend
    model: str | None = None
    timeout_s: float = 0.6
    prefix: str = ""  # e.g. few-shot examples for a base model; backends cache its KV state


@dataclass(frozen=True)
class Attempt:
    backend: str
    ok: bool
    latency_ms: float
    error: str = ""
    answer: str = ""


@dataclass(frozen=True)
class ChainAnswer:
    ops: DslOps | None
    result: SlmResult | None
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    review: ChainAnswer | None = None
    """The reviewer's answer to the same call, when one was asked (``ops`` None: it gave none in time)."""
    disputed: tuple[str, ...] = ()
    """Option ids whose removal the answer and the review disagree on (set by the caller)."""

    @property
    def latency_ms(self) -> float:
        return sum(a.latency_ms for a in self.attempts)


class FallbackChain:
    """Try each step in turn within ``deadline_s`` overall."""

    def __init__(self, steps: list[Step], deadline_s: float = 1.2, reviewer: Step | None = None) -> None:
        if not steps:
            raise ValueError("a fallback chain needs at least one step")
        self.steps = steps
        self.deadline_s = deadline_s
        self.reviewer = reviewer

    @property
    def names(self) -> list[str]:
        return [s.model or s.backend.name for s in self.steps]

    async def ask(self, prompt: str, grammar: Grammar, ctx: CallContext, max_tokens: int = 24) -> ChainAnswer:
        return await self._run(self.steps, prompt, grammar, ctx, max_tokens, self.deadline_s)

    async def second_opinion(
        self, answer: ChainAnswer, prompt: str, grammar: Grammar, ctx: CallContext, max_tokens: int = 24
    ) -> ChainAnswer | None:
        """The reviewer's answer to the call ``answer`` came from, within what is left of the deadline.

        None when there is no reviewer or the answer is the reviewer's own; otherwise an answer whose
        ``ops`` is None when the reviewer gave none in time (the caller keeps the first answer then).
        """
        reviewer = self.reviewer
        if reviewer is None or answer.result is None:
            return None
        if answer.result.model in (reviewer.model, reviewer.backend.name):
            return None
        left = self.deadline_s - answer.latency_ms / 1000
        return await self._run([reviewer], prompt, grammar, ctx, max_tokens, left)

    async def _run(
        self,
        steps: list[Step],
        prompt: str,
        grammar: Grammar,
        ctx: CallContext,
        max_tokens: int,
        deadline_s: float,
    ) -> ChainAnswer:
        started = time.monotonic()
        attempts: list[Attempt] = []
        for step in steps:
            left = deadline_s - (time.monotonic() - started)
            if left <= 0.02:
                attempts.append(Attempt(step.backend.name, False, 0.0, "skipped: chain deadline"))
                continue
            budget = min(step.timeout_s, left)
            request = SlmRequest(
                prompt=step.prefix + prompt,
                grammar=grammar,
                model=step.model,
                max_tokens=max_tokens,
                timeout_s=budget,
            )
            t0 = time.monotonic()
            try:
                result = await asyncio.wait_for(step.backend.complete(request), timeout=budget)
                ops = parse_dsl(result.text, ctx)
            except (TimeoutError, SlmError, DslError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                attempts.append(Attempt(step.backend.name, False, (time.monotonic() - t0) * 1000, error))
                log.info("slm_step_failed", backend=step.backend.name, error=error)
                continue
            ms = (time.monotonic() - t0) * 1000
            if ops.unsure:
                attempts.append(Attempt(result.model, False, ms, "unsure", result.text))
                continue
            attempts.append(Attempt(result.model, True, ms, answer=result.text))
            return ChainAnswer(ops=ops, result=result, attempts=tuple(attempts))
        return ChainAnswer(ops=None, result=None, attempts=tuple(attempts))
