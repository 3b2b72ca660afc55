"""In-process SLM on the CPU: transformers, LoRA merged into the weights, grammar-constrained greedy decoding.

Why this path (measured with ``orderline bench slm``; see docs/architecture.md): for a 135M model and
answers of a few tokens, per-call time is dominated by Python overhead per decoding step and by the
prompt prefill. Merging the adapter into the base weights removes the LoRA matmuls; the KV cache of a
fixed prompt prefix (the few-shot examples of the fallback model) is computed once and reused; the
grammar check looks at the model's top candidates only, so a step costs one forward pass.
"""

from __future__ import annotations

import asyncio
import copy
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

import structlog

from orderline.slm.base import SlmRequest, SlmResult, SlmTimeoutError
from orderline.slm.checkpoint import resolve_base
from orderline.slm.fastllama import FastLlama, KvCache, check_against

log = structlog.get_logger("orderline.slm.local")

TOP_K = 48


class LocalModel:
    """A causal LM (optionally with a LoRA adapter merged in) and its tokenizer, loaded once."""

    def __init__(
        self,
        base: str | None = None,
        adapter: Path | None = None,
        threads: int | None = None,
        name: str = "",
        fast: bool = True,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        path = resolve_base(base)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        model.eval()  # type: ignore[no-untyped-call]
        self.model = model
        self.fast: FastLlama | None = None
        if fast:
            try:
                self.fast = FastLlama(model)
                check_against(model, self.fast, self.encode("item: cheeseburger\nsay: no onions please\ndo:"))
            except (
                AttributeError,
                KeyError,
                TypeError,
                ValueError,
            ) as exc:  # not a Llama layout: use transformers
                log.warning("fast_decoder_unavailable", error=str(exc))
                self.fast = None
        self.name = name or (adapter.name if adapter is not None else path.name)
        self.eos = {int(self.tokenizer.eos_token_id)}
        newline = self.tokenizer("\n", add_special_tokens=False)["input_ids"]
        if len(newline) == 1:
            self.eos.add(int(newline[0]))
        self.pieces = [self.tokenizer.decode([k]) for k in range(len(self.tokenizer))]
        self.lock = threading.Lock()
        self._prefix_cache: dict[str, Any] = {}

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prefix_state(self, prefix: str) -> Any:
        """The KV cache after ``prefix``, computed once per prefix (callers get a copy)."""
        if not prefix:
            return None
        if prefix not in self._prefix_cache:
            import torch

            if self.fast is not None:
                cache = self.fast.new_cache()
                self.fast.forward(self.encode(prefix), cache)
                self._prefix_cache[prefix] = cache
            else:
                with torch.inference_mode():
                    out = self.model(input_ids=torch.tensor([self.encode(prefix)]), use_cache=True)
                self._prefix_cache[prefix] = out.past_key_values
        state = self._prefix_cache[prefix]
        return state.clone() if isinstance(state, KvCache) else copy.deepcopy(state)

    def begin(self, prefix: str, rest: str) -> tuple[Any, Any]:
        """(decoder state, next-token logits) after ``prefix`` (cached) + ``rest``."""
        state = self.prefix_state(prefix)
        return self.advance(state, self.encode(rest))

    def advance(self, state: Any, ids: list[int]) -> tuple[Any, Any]:
        import torch

        if self.fast is not None:
            cache = state if state is not None else self.fast.new_cache()
            return cache, self.fast.forward(ids, cache)
        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([ids]), past_key_values=state, use_cache=True)
        return out.past_key_values, out.logits[0, -1]


class LocalBackend:
    """The :class:`~orderline.slm.base.SlmBackend` over a :class:`LocalModel` (runs in a worker thread)."""

    def __init__(self, model: LocalModel, prefixes: tuple[str, ...] = (), name: str | None = None) -> None:
        self.model = model
        self.prefixes = prefixes
        self._name = name or model.name

    @property
    def name(self) -> str:
        return self._name

    async def complete(self, request: SlmRequest) -> SlmResult:
        deadline = time.monotonic() + request.timeout_s
        return await asyncio.to_thread(self.complete_sync, request, deadline)

    async def aclose(self) -> None:
        return None

    def complete_sync(self, request: SlmRequest, deadline: float | None = None) -> SlmResult:
        """Greedy decoding under the request's grammar; raises :class:`SlmTimeoutError` past the deadline."""
        import torch

        started = time.perf_counter()
        m = self.model
        with m.lock, torch.inference_mode():
            prefix = next((p for p in self.prefixes if request.prompt.startswith(p)), "")
            past, logits = m.begin(prefix, request.prompt[len(prefix) :])
            text, logprob, steps = "", 0.0, 0
            for steps in range(1, request.max_tokens + 1):  # noqa: B007 - steps is reported
                if deadline is not None and time.monotonic() > deadline:
                    raise SlmTimeoutError(f"{self.name}: no answer within {request.timeout_s:.2f} s")
                pick, piece, lp = self._choose(logits, text, request)
                if pick is None:
                    text = "?" if not text.strip() or not request.grammar.accepts(text) else text
                    break
                logprob += lp
                if pick in m.eos:
                    break
                text += piece
                step_ids = [pick]
                forced = request.grammar.forced(text)
                if forced:  # jump forward: feed the characters the grammar forces in the same pass
                    extra = m.encode(forced)
                    if m.tokenizer.decode(extra) == forced:
                        step_ids += extra
                        text += forced
                past, logits = m.advance(past, step_ids)
        answer = text.strip()
        if not request.grammar.accepts(answer):
            answer = "?"
        return SlmResult(
            text=answer,
            model=self.name,
            confidence=round(math.exp(logprob / max(1, steps)), 4),
            latency_ms=(time.perf_counter() - started) * 1000,
            tokens=steps,
        )

    def _choose(self, logits: Any, text: str, request: SlmRequest) -> tuple[int | None, str, float]:
        """The most likely next token that keeps the answer inside the grammar."""
        import torch

        logp = torch.log_softmax(logits.float(), dim=-1)
        values, indices = torch.topk(logp, TOP_K)
        grammar = request.grammar
        for value, index in zip(values.tolist(), indices.tolist(), strict=True):
            if index in self.model.eos:
                if text.strip() and grammar.accepts(text):
                    return index, "", value
                continue
            piece = self.model.pieces[index]
            if grammar.allows_prefix(text + piece):
                return index, piece, value
        return None, "", 0.0
