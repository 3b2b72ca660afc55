"""Choose the concrete SLM classes (this layer and api/ are the only ones that do)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orderline.cli.paths import REPO_ROOT
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.chain import FallbackChain, Step
from orderline.nlu.hybrid import HybridUnderstander
from orderline.nlu.matcher import RuleMatcher
from orderline.nlu.prompt import few_shot_prefix
from orderline.slm.base import SlmBackend

if TYPE_CHECKING:
    from orderline.slm.local import LocalBackend

DEFAULT_ADAPTER = REPO_ROOT / "models" / "orderline-smollm2-lora"
FEW_SHOT_NAME = "smollm2-135m-fewshot"
DEFAULT_SLM_URL = "http://127.0.0.1:8100"


@dataclass(frozen=True)
class SlmOptions:
    backend: str = "local"  # local | vllm
    adapter: Path = DEFAULT_ADAPTER
    url: str = DEFAULT_SLM_URL
    model: str = "orderline-smollm2-lora"
    fallback_model: str = "base"
    step_timeout_s: float = 0.6
    deadline_s: float = 1.2
    threads: int = 2


def local_backends(options: SlmOptions) -> tuple[LocalBackend, LocalBackend]:
    """(adapter backend, few-shot base backend) running in this process."""
    from orderline.slm.local import LocalBackend, LocalModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    primary = LocalBackend(
        LocalModel(adapter=options.adapter, threads=options.threads, name=options.adapter.name)
    )
    base = LocalModel(threads=options.threads, name=FEW_SHOT_NAME)
    base.prefix_state(few_shot_prefix())  # warm: the fallback's fixed prefix is encoded once, at start-up
    return primary, LocalBackend(base, prefixes=(few_shot_prefix(),))


def build_chain(options: SlmOptions) -> FallbackChain:
    if options.backend == "vllm":
        from orderline.slm.vllm import VllmBackend

        primary_http = VllmBackend(options.url, model=options.model)
        secondary_http = VllmBackend(options.url, model=options.fallback_model, breaker=primary_http.breaker)
        return FallbackChain(
            [
                Step(primary_http, options.model, options.step_timeout_s),
                Step(
                    secondary_http, options.fallback_model, options.step_timeout_s, prefix=few_shot_prefix()
                ),
            ],
            deadline_s=options.deadline_s,
        )
    primary: SlmBackend
    secondary: SlmBackend
    primary, secondary = local_backends(options)
    return FallbackChain(
        [
            Step(primary, None, options.step_timeout_s),
            Step(secondary, None, options.step_timeout_s, prefix=few_shot_prefix()),
        ],
        deadline_s=options.deadline_s,
    )


def build_understander(menu: Menu, nlu: str, options: SlmOptions | None = None) -> Understander:
    """``rules`` (tier 1 only) or ``hybrid`` (tier 1 + SLM fallback chain)."""
    rules = RuleMatcher(menu)
    if nlu == "rules":
        return rules
    if nlu != "hybrid":
        raise ValueError(f"unknown --nlu {nlu!r} (rules or hybrid)")
    return HybridUnderstander(menu, build_chain(options or SlmOptions()), rules=rules)
