"""Build the SLM fallback chain once (this layer, the server and the CLI are the only places that choose
concrete backends), and watch whether it keeps its deadline."""

from __future__ import annotations

import os
import statistics
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import structlog

from orderline.engine.assets import default_adapter, second_adapter
from orderline.engine.settings import Settings
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.chain import FallbackChain, Step
from orderline.nlu.coverage import SlmCall
from orderline.nlu.hybrid import HybridUnderstander
from orderline.nlu.matcher import RuleMatcher
from orderline.nlu.prompt import few_shot_prefix
from orderline.slm.base import SlmBackend

if TYPE_CHECKING:
    from orderline.slm.local import LocalBackend

log = structlog.get_logger("orderline.engine.slm")

FEW_SHOT_NAME = "smollm2-135m-fewshot"
DEFAULT_SLM_URL = "http://127.0.0.1:8100"


@dataclass(frozen=True)
class SlmOptions:
    backend: str = "local"  # local | vllm
    adapter: Path | None = None  # None: the committed adapter
    url: str = DEFAULT_SLM_URL
    model: str = "orderline-smollm2-lora"
    second_adapter: Path | None = None  # None: the committed second adapter, where there is one
    second_model: str | None = "orderline-smollm2-lora-context"  # its LoRA module on vLLM; None: no second
    review: bool = True  # the second adapter reviews removals; disagreement is confirmed with the customer
    fallback_model: str = "base"
    step_timeout_s: float = 0.6
    deadline_s: float = 1.2
    threads: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> SlmOptions:
        return cls(
            backend=settings.slm_backend,
            adapter=settings.slm_adapter,
            url=settings.slm_url,
            model=settings.slm_model,
            second_adapter=settings.slm_second_adapter,
            second_model=settings.slm_second_model or None,
            review=settings.slm_review,
            fallback_model=settings.slm_fallback_model,
            step_timeout_s=settings.slm_step_timeout_s,
            deadline_s=settings.slm_deadline_s,
            threads=settings.threads,
        )

    @property
    def adapter_path(self) -> Path:
        return self.adapter if self.adapter is not None else default_adapter()

    @property
    def second_adapter_path(self) -> Path | None:
        """The second adapter's folder (local backend), None when there is none or it is turned off."""
        if self.second_model is None:
            return None
        return self.second_adapter if self.second_adapter is not None else second_adapter()


def local_backends(options: SlmOptions) -> tuple[LocalBackend, LocalBackend]:
    """(adapter backend, few-shot base backend) running in this process."""
    from orderline.slm.local import LocalBackend, LocalModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    adapter = options.adapter_path
    primary = LocalBackend(LocalModel(adapter=adapter, threads=options.threads, name=adapter.name))
    base = LocalModel(threads=options.threads, name=FEW_SHOT_NAME)
    base.prefix_state(few_shot_prefix())  # warm: the fallback's fixed prefix is encoded once, at start-up
    return primary, LocalBackend(base, prefixes=(few_shot_prefix(),))


def local_second(options: SlmOptions) -> LocalBackend | None:
    """The second adapter in this process (its own merged copy of the base: about 0.3 GB more)."""
    from orderline.slm.local import LocalBackend, LocalModel

    path = options.second_adapter_path
    if path is None:
        return None
    return LocalBackend(LocalModel(adapter=path, threads=options.threads, name=path.name))


@dataclass(frozen=True)
class SlmBackends:
    """The backends of one process, shared by every chain (one per brand adapter) and every menu."""

    primary: SlmBackend
    secondary: SlmBackend
    options: SlmOptions
    second: SlmBackend | None = None
    """The second adapter (another data mix and seed), when there is one."""

    @classmethod
    def build(cls, options: SlmOptions) -> SlmBackends:
        if options.backend == "vllm":
            from orderline.slm.vllm import VllmBackend

            primary_http = VllmBackend(options.url, model=options.model)
            secondary_http = VllmBackend(
                options.url, model=options.fallback_model, breaker=primary_http.breaker
            )
            second_http = (
                VllmBackend(options.url, model=options.second_model, breaker=primary_http.breaker)
                if options.second_model
                else None
            )
            return cls(primary_http, secondary_http, options, second_http)
        primary, secondary = local_backends(options)
        return cls(primary, secondary, options, local_second(options))

    def chain(self, model: str | None = None) -> FallbackChain:
        """Adapter ``model`` (a LoRA module on vLLM; locally the committed one) -> the second adapter ->
        few-shot base; the second adapter also reviews removals (``review``)."""
        o = self.options
        remote = o.backend == "vllm"
        steps = [Step(self.primary, (model or o.model) if remote else None, o.step_timeout_s)]
        second = None
        if self.second is not None:
            second = Step(self.second, o.second_model if remote else None, o.step_timeout_s)
            steps.append(second)
        steps.append(
            Step(
                self.secondary,
                o.fallback_model if remote else None,
                o.step_timeout_s,
                prefix=few_shot_prefix(),
            )
        )
        return FallbackChain(steps, deadline_s=o.deadline_s, reviewer=second if o.review else None)

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.secondary.aclose()
        if self.second is not None:
            await self.second.aclose()


def build_understander(menu: Menu, nlu: str, backends: SlmBackends | None = None) -> Understander:
    """``rules`` (tier 1 only) or ``hybrid`` (tier 1 + the SLM fallback chain over ``backends``)."""
    rules = RuleMatcher(menu)
    if nlu == "rules":
        return rules
    if nlu != "hybrid":
        raise ValueError(f"unknown nlu {nlu!r} (rules or hybrid)")
    return HybridUnderstander(menu, (backends or SlmBackends.build(SlmOptions())).chain(), rules=rules)


SlmStatus = Literal["off", "ok", "degraded"]


@dataclass
class SlmMonitor:
    """Is the SLM keeping its deadline? From the start-up warm-up call and the last calls of live turns."""

    budget_ms: float
    enabled: bool = True
    warmup_ms: float | None = None
    warmup_answered: bool = True
    recent: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=50))

    def record(self, calls: tuple[SlmCall, ...]) -> None:
        for call in calls:
            timed_out = any("Timeout" in a for a in call.attempts)
            self.recent.append((call.latency_ms, timed_out))

    def warmed(self, ms: float, answered: bool = True) -> None:
        """The start-up call took ``ms``; ``answered`` is False when no step of the chain answered in time."""
        self.warmup_ms = ms
        self.warmup_answered = answered
        if ms > self.budget_ms or not answered:
            log.warning(
                "slm_too_slow_for_budget",
                warmup_ms=round(ms, 1),
                budget_ms=self.budget_ms,
                answered=answered,
                hint="the SLM will miss its deadline on this CPU; turns fall back to clarifying questions",
            )

    @property
    def status(self) -> SlmStatus:
        if not self.enabled:
            return "off"
        if self.warmup_ms is not None and (self.warmup_ms > self.budget_ms or not self.warmup_answered):
            return "degraded"
        if len(self.recent) >= 5 and sum(t for _, t in self.recent) / len(self.recent) > 0.2:
            return "degraded"
        return "ok"

    def summary(self) -> dict[str, float | int | str | None]:
        latencies = [ms for ms, _ in self.recent]
        return {
            "status": self.status,
            "budget_ms": self.budget_ms,
            "warmup_ms": None if self.warmup_ms is None else round(self.warmup_ms, 1),
            "recent_calls": len(latencies),
            "recent_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "recent_timeouts": sum(t for _, t in self.recent),
        }
