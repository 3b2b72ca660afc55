"""In-process SLM on the CPU: transformers, LoRA merged into the weights, grammar-constrained greedy decoding.

Why this path (measured with ``orderline bench slm``; see docs/architecture.md): for a 135M model and
answers of a few tokens, per-call time is dominated by Python overhead per decoding step and by the
prompt prefill. Merging the adapter into the base weights removes the LoRA matmuls; the KV cache of a
fixed prompt prefix (the few-shot examples of the fallback model) is computed once and reused; the LM head
computes only the tokens the call's grammar could emit (:mod:`orderline.slm.tokens`), and the matmul kernels
(fp32 or bf16 for the prompt, int8 weights for decoding steps) are chosen for the CPU at start-up
(:mod:`orderline.slm.kernels`).
"""

from __future__ import annotations

import asyncio
import copy
import math
import os
import statistics
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

from orderline.slm.base import SlmBusyError, SlmRequest, SlmResult, SlmTimeoutError
from orderline.slm.checkpoint import resolve_base
from orderline.slm.fastllama import Dense, FastLlama, KvCache, KvSpan, check_against
from orderline.slm.grammar import Constraint, Grammar
from orderline.slm.kernels import Kernel, KernelChoice, choose_kernel, pair_name
from orderline.slm.tokens import TokenTrie

log = structlog.get_logger("orderline.slm.local")

TOP_K = 48
"""Without a word grammar (a regex from ``serve-slm``), the decoder checks the model's top-48 tokens only."""
HEADS_CACHED = 512
"""Token sets kept (one per distinct call grammar: an item's options, a set of order lines). A set is
75-400 tokens and takes under 1.2 ms to find; its LM-head rows are gathered per call (~0.1 ms)."""
MIN_CALL_S = 0.1
"""No call finishes sooner (a call prompt's prefill alone is 40-50 ms on 2 cores): a call that would get
less than this once the model is free is not started (``busy``)."""
CONTEXTS_CACHED = 64
"""Menu contexts whose keys and values are kept (an item with its options and sizes, or a set of order
lines: about 35 tokens, 1.6 MB each). A cached context leaves only the utterance to run: the prompt
prefill, most of a call on a CPU without fast matmuls, shrinks to about a third."""
QUEUED_S = 0.005
"""A call that starts this long after it was asked waited behind others on the model's thread."""
CHECK_PROMPT = "item: cheeseburger\nsay: no onions please\ndo:"


def menu_context(rest: str) -> str:
    """The menu context of a call prompt: every line but the last two (the utterance and the answer
    cue), with its newline; ``""`` when there is none. It repeats across calls about the same item."""
    lines = rest.split("\n")
    if len(lines) <= 2:
        return ""
    return "\n".join(lines[:-2]) + "\n"


class Head:
    """The LM head of one call: the tokens its grammar could emit (plus end of answer) and their rows."""

    def __init__(self, tokens: list[int], rows: Dense | None) -> None:
        self.tokens = tokens
        self.rows = rows


class LocalModel:
    """A causal LM (optionally with a LoRA adapter merged in) and its tokenizer, loaded once."""

    def __init__(
        self,
        base: str | None = None,
        adapter: Path | None = None,
        threads: int | None = None,
        name: str = "",
        fast: bool = True,
        kernel: str | None = None,
    ) -> None:
        """Load the model; ``kernel`` overrides the start-up choice (``auto``, ``bf16``, ``fp32``, ``int8``;
        default ``$ORDERLINE_SLM_KERNEL`` or ``auto``)."""
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
        self.kernel: KernelChoice = choose_kernel(override=kernel)
        self.fast: FastLlama | None = self._fast_decoder(model) if fast else None
        self.name = name or (adapter.name if adapter is not None else path.name)
        self.eos = {int(self.tokenizer.eos_token_id)}
        newline = self.tokenizer("\n", add_special_tokens=False)["input_ids"]
        if len(newline) == 1:
            self.eos.add(int(newline[0]))
        self.pieces: list[str] = [str(self.tokenizer.decode([k])) for k in range(len(self.tokenizer))]
        self.trie = TokenTrie(self.pieces)
        self.lock = threading.Lock()
        # One thread runs every call (they are serialised by the lock anyway): a call waiting for the model
        # no longer holds a thread of the event loop's shared pool, and torch keeps one OpenMP team warm.
        # (A speed difference against the shared pool was within this VM's noise.)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"slm-{self.name}")
        self.recent_s: deque[float] = deque(maxlen=20)
        self._prefix_cache: dict[str, Any] = {}
        self._heads: OrderedDict[Grammar, list[int]] = OrderedDict()
        self._contexts: OrderedDict[tuple[str, str], tuple[KvSpan, list[int]]] = OrderedDict()
        log.info(
            "slm_kernel",
            model=self.name,
            kernel=self.kernel_name,
            reason=self.kernel.reason,
            cpu=self.kernel.isa.model,
            capability=self.kernel.isa.capability,
        )

    def _fast_decoder(self, model: Any) -> FastLlama | None:
        """The lean decoder with the chosen kernel, checked against transformers; fp32, then none, if not."""
        tokens = self.encode(CHECK_PROMPT)
        chosen = self.kernel
        tries = [
            (chosen.kernel, chosen.step_kernel),
            (chosen.kernel, chosen.kernel),
            (Kernel.FP32, Kernel.FP32),
        ]
        for kernel, step in dict.fromkeys(tries):
            try:
                fast = FastLlama(model, kernel=kernel, step_kernel=step)
                check_against(model, fast, tokens)
            except (AttributeError, KeyError, TypeError, ValueError, RuntimeError) as exc:
                log.warning("fast_decoder_unavailable", kernel=pair_name(kernel, step), error=str(exc))
                continue
            if (kernel, step) != tries[0]:
                reason = f"{chosen.name} failed the check"
                self.kernel = KernelChoice(kernel, reason, chosen.isa, step)
            return fast
        return None  # not a Llama layout: use transformers

    @property
    def kernel_name(self) -> str:
        return self.kernel.name if self.fast is not None else "transformers-fp32"

    def head(self, constraint: Constraint) -> Head | None:
        """The LM head for one call under ``constraint``, or ``None``: compute the whole vocabulary."""
        if not isinstance(constraint, Grammar):
            return None
        tokens = self._heads.get(constraint)
        if tokens is None:
            tokens = self._heads[constraint] = sorted(self.trie.candidates(constraint) | self.eos)
            if len(self._heads) > HEADS_CACHED:
                self._heads.popitem(last=False)
        else:
            self._heads.move_to_end(constraint)
        import torch

        rows = self.fast.head_rows(torch.tensor(tokens)) if self.fast is not None else None
        return Head(tokens, rows)

    def typical_call_s(self) -> float:
        """Median wall time of the last calls (0 before the first)."""
        return statistics.median(self.recent_s) if self.recent_s else 0.0

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
                self.fast.extend(self.encode(prefix), cache, prompt=True)
                self._prefix_cache[prefix] = cache
            else:
                with torch.inference_mode():
                    out = self.model(input_ids=torch.tensor([self.encode(prefix)]), use_cache=True)
                self._prefix_cache[prefix] = out.past_key_values
        state = self._prefix_cache[prefix]
        return state.clone() if isinstance(state, KvCache) else copy.deepcopy(state)

    def begin(self, prefix: str, rest: str, head: Head | None = None) -> tuple[Any, Any]:
        """(decoder state, next-token logits) after ``prefix`` (cached) + ``rest``.

        With ``head`` the logits are those of ``head.tokens`` only, in that order.
        """
        state = self.prefix_state(prefix)
        ids = self.encode(rest)
        if self.fast is None:
            return self.advance(state, ids, head)
        cache = state if state is not None else self.fast.new_cache()
        rows = head.rows if head is not None else None
        context = menu_context(rest)
        key = (prefix, context)
        hit = self._contexts.get(key) if context else None
        if hit is not None and ids[: len(hit[1])] == hit[1] and len(ids) > len(hit[1]):
            self._contexts.move_to_end(key)
            cache.put(hit[0])  # only the utterance and the cue run
            return cache, self.fast.forward(ids[len(hit[1]) :], cache, rows, prompt=True)
        start = cache.length
        logits = self.fast.forward(ids, cache, rows, prompt=True)
        if context and hit is None:
            self._keep_context(key, ids, start, cache)
        return cache, logits

    def _keep_context(self, key: tuple[str, str], ids: list[int], start: int, cache: KvCache) -> None:
        """Keep the keys and values of the prompt's menu context (``key[1]``), computed by this call's
        pass over the whole prompt (a position's keys do not depend on what follows it); least recently
        used out past :data:`CONTEXTS_CACHED`. Skipped unless the context ends on a token boundary."""
        context_ids = self.encode(key[1])
        if ids[: len(context_ids)] != context_ids or len(ids) == len(context_ids):
            return
        self._contexts[key] = (cache.span(start, start + len(context_ids)), context_ids)
        if len(self._contexts) > CONTEXTS_CACHED:
            self._contexts.popitem(last=False)

    def advance(self, state: Any, ids: list[int], head: Head | None = None) -> tuple[Any, Any]:
        import torch

        if self.fast is not None:
            cache = state if state is not None else self.fast.new_cache()
            return cache, self.fast.forward(ids, cache, head.rows if head is not None else None)
        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([ids]), past_key_values=state, use_cache=True)
        logits = out.logits[0, -1]
        return out.past_key_values, logits if head is None else logits[torch.tensor(head.tokens)]


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
        """Decode on the model's own thread; the deadline starts now, when the call is asked, not when it runs."""
        deadline = time.monotonic() + request.timeout_s
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.model.executor, self.complete_sync, request, deadline)

    async def aclose(self) -> None:
        return None

    def complete_sync(self, request: SlmRequest, deadline: float | None = None) -> SlmResult:
        """Greedy decoding under the request's grammar.

        Raises:
            SlmBusyError: the model stayed busy with other calls until too late to start this one (the
                deadline less the median of recent calls, at least :data:`MIN_CALL_S`); nothing was run.
            SlmTimeoutError: decoding ran past the deadline.
        """
        m = self.model
        asked = time.perf_counter()
        if not self._acquire(deadline, request.timeout_s):
            raise SlmBusyError(f"{self.name}: busy: the model was not free in time to start the call")
        try:
            started = time.perf_counter()
            result = self._decode(request, deadline, asked)
            m.recent_s.append(time.perf_counter() - started)
            return result
        finally:
            m.lock.release()

    def _acquire(self, deadline: float | None, timeout_s: float) -> bool:
        lock = self.model.lock
        if deadline is None:
            return lock.acquire()
        need = max(MIN_CALL_S, self.model.typical_call_s())
        if lock.acquire(blocking=False):
            # Queued on the model's thread behind other calls: start only if a typical call still fits.
            queued = time.monotonic() - (deadline - timeout_s) > QUEUED_S
            if time.monotonic() < deadline - (need if queued else 0.0):
                return True
            lock.release()
            return False
        # Held by another call: wait only while this one could still finish in a typical call's time.
        wait = deadline - need - time.monotonic()
        return wait > 0 and lock.acquire(timeout=wait)

    def _decode(self, request: SlmRequest, deadline: float | None, started: float) -> SlmResult:
        import torch

        m = self.model
        with torch.inference_mode():
            prefix = next((p for p in self.prefixes if request.prompt.startswith(p)), "")
            head = m.head(request.grammar)
            past, logits = m.begin(prefix, request.prompt[len(prefix) :], head)
            text, logprob, steps = "", 0.0, 0
            for steps in range(1, request.max_tokens + 1):  # noqa: B007 - steps is reported
                if deadline is not None and time.monotonic() > deadline:
                    raise SlmTimeoutError(f"{self.name}: no answer within {request.timeout_s:.2f} s")
                pick, piece, lp = self._choose(logits, head, text, request)
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
                past, logits = m.advance(past, step_ids, head)
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

    def _choose(
        self, logits: Any, head: Head | None, text: str, request: SlmRequest
    ) -> tuple[int | None, str, float]:
        """The most likely next token that keeps the answer inside the grammar.

        With a ``head`` the logits cover its tokens (a superset of every token the grammar allows), so
        the choice is the grammar-allowed argmax over the whole vocabulary, and the log-probability is
        normalised over those tokens. Without one, the model's top :data:`TOP_K` tokens are checked.
        """
        import torch

        logp = torch.log_softmax(logits.float(), dim=-1)
        if head is None:
            values, indices = torch.topk(logp, min(TOP_K, logp.shape[0]))
            ranked: Iterable[tuple[float, int]] = zip(values.tolist(), indices.tolist(), strict=True)
        else:
            values, order = torch.sort(logp, descending=True)
            ranked = zip(values.tolist(), (head.tokens[k] for k in order.tolist()), strict=True)
        grammar = request.grammar
        for value, index in ranked:
            if index in self.model.eos:
                if text.strip() and grammar.accepts(text):
                    return index, "", value
                continue
            piece = self.model.pieces[index]
            if grammar.allows_prefix(text + piece):
                return index, piece, value
        return None, "", 0.0
