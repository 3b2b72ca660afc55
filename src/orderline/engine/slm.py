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

from orderline.engine.assets import default_adapter
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
            fallback_model=settings.slm_fallback_model,
            step_timeout_s=settings.slm_step_timeout_s,
            deadline_s=settings.slm_deadline_s,
            threads=settings.threads,
        )

    @property
    def adapter_path(self) -> Path:
        return self.adapter if self.adapter is not None else default_adapter()


def local_backends(options: SlmOptions) -> tuple[LocalBackend, LocalBackend]:
    """(adapter backend, few-shot base backend) running in this process."""
    from orderline.slm.local import LocalBackend, LocalModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    adapter = options.adapter_path
    primary = LocalBackend(LocalModel(adapter=adapter, threads=options.threads, name=adapter.name))
    base = LocalModel(threads=options.threads, name=FEW_SHOT_NAME)
    base.prefix_state(few_shot_prefix())  # warm: the fallback's fixed prefix is encoded once, at start-up
    return primary, LocalBackend(base, prefixes=(few_shot_prefix(),))


@dataclass(frozen=True)
class SlmBackends:
    """The backends of one process, shared by every chain (one per brand adapter) and every menu."""

    primary: SlmBackend
    secondary: SlmBackend
    options: SlmOptions

    @classmethod
    def build(cls, options: SlmOptions) -> SlmBackends:
        if options.backend == "vllm":
            from orderline.slm.vllm import VllmBackend

            primary_http = VllmBackend(options.url, model=options.model)
            secondary_http = VllmBackend(
                options.url, model=options.fallback_model, breaker=primary_http.breaker
            )
            return cls(primary_http, secondary_http, options)
        primary, secondary = local_backends(options)
        return cls(primary, secondary, options)

    def chain(self, model: str | None = None) -> FallbackChain:
        """Adapter ``model`` (a LoRA module on vLLM; the local backend has one adapter) -> few-shot base."""
        o = self.options
        remote = o.backend == "vllm"
        return FallbackChain(
            [
                Step(self.primary, (model or o.model) if remote else None, o.step_timeout_s),
                Step(
                    self.secondary,
                    o.fallback_model if remote else None,
                    o.step_timeout_s,
                    prefix=few_shot_prefix(),
                ),
            ],
            deadline_s=o.deadline_s,
        )

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.secondary.aclose()


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
