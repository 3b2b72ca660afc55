"""The in-process decoder: its kernels against transformers, the grammar's LM head, busy calls."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from orderline.bench.slm import context_from_prompt, decoder_info, describe_decoder
from orderline.menu.schema import Menu
from orderline.nlu.chain import FallbackChain, Step
from orderline.nlu.dsl import CallContext, grammar
from orderline.slm.base import SlmBusyError, SlmRequest
from orderline.slm.fastllama import TOLERANCE, FastLlama, check_against
from orderline.slm.grammar import Grammar
from orderline.slm.kernels import Kernel, int8_available
from orderline.slm.local import LocalBackend, LocalModel, menu_context

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "models" / "orderline-smollm2-lora" / "eval.jsonl"


def _rows(n: int) -> list[dict[str, str]]:
    lines = EVAL.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:n]]


@pytest.fixture(scope="module")
def primary(slm_backends: tuple[Any, Any]) -> LocalBackend:
    backend = slm_backends[0]
    assert isinstance(backend, LocalBackend)
    return backend


@pytest.fixture(scope="module")
def grammars(burger: Menu, pizza: Menu, coffee: Menu) -> list[tuple[str, Grammar]]:
    """(prompt, grammar) of the first held-out call prompts, the grammar built as the hybrid builds it."""
    menus = {m.id: m for m in (burger, pizza, coffee)}
    rows = _rows(6)
    return [(r["prompt"], grammar(context_from_prompt(menus[r["menu"]], r["prompt"]))) for r in rows]


KERNELS = [k for k in Kernel if k is not Kernel.INT8 or int8_available()]


PROBE = "item: latte\nsay: with oat milk and an extra shot\ndo:"


@pytest.mark.parametrize("kernel", KERNELS)
def test_every_kernel_agrees_with_transformers(primary: LocalBackend, kernel: Kernel) -> None:
    m = primary.model
    fast = FastLlama(m.model, kernel=kernel)
    for prompt in (PROBE, _rows(1)[0]["prompt"]):
        check_against(m.model, fast, m.encode(prompt))  # raises when logits or the top token differ


def _brute_force_choice(m: LocalModel, logits: torch.Tensor, text: str, g: Grammar) -> int:
    """The grammar-allowed argmax over the whole vocabulary (what the restricted head must equal)."""
    for index in torch.argsort(logits, descending=True).tolist():
        if index in m.eos:
            if text.strip() and g.accepts(text):
                return int(index)
            continue
        if g.allows_prefix(text + m.pieces[index]):
            return int(index)
    raise AssertionError("no token allowed")


def test_grammar_head_picks_what_the_whole_vocabulary_would(
    primary: LocalBackend, grammars: list[tuple[str, Grammar]]
) -> None:
    m = primary.model
    fast = FastLlama(m.model, kernel=Kernel.FP32)
    for prompt, g in grammars[:4]:
        head = m.head(g)
        assert head is not None
        rows = fast.head_rows(torch.tensor(head.tokens))
        cache = fast.new_cache()
        ids, text = m.encode(prompt), ""
        for _ in range(8):
            snapshot = cache.clone()
            full = fast.forward(ids, snapshot)
            allowed = {k for k, piece in enumerate(m.pieces) if piece and g.allows_prefix(text + piece)}
            assert allowed <= set(head.tokens)  # no token the grammar allows is left out
            restricted = fast.forward(ids, cache, rows)
            want = _brute_force_choice(m, full, text, g)
            ranked = [head.tokens[k] for k in torch.argsort(restricted, descending=True).tolist()]
            got = next(
                t
                for t in ranked
                if (t in m.eos and text.strip() and g.accepts(text))
                or (t not in m.eos and g.allows_prefix(text + m.pieces[t]))
            )
            assert got == want
            if got in m.eos:
                break
            text += m.pieces[got]
            ids = [got]


@pytest.mark.skipif(not int8_available(), reason="this torch has no int8 weight kernel")
def test_int8_weights_mostly_give_the_same_answers_on_probe_prompts(
    primary: LocalBackend, grammars: list[tuple[str, Grammar]]
) -> None:
    """int8 rounding may flip a near tie (the 4th probe: "+egg" or "-egg" is a coin toss in bf16 too)."""
    int8 = LocalBackend(
        LocalModel(adapter=ROOT / "models" / "orderline-smollm2-lora", threads=2, kernel="int8")
    )
    assert int8.model.kernel_name == "int8"
    same = 0
    for prompt, g in grammars:
        request = SlmRequest(prompt=prompt, grammar=g, timeout_s=30.0)
        same += int8.complete_sync(request).text == primary.complete_sync(request).text
    assert same >= len(grammars) - 1


def test_a_call_the_busy_model_cannot_start_in_time_is_skipped_as_busy(
    primary: LocalBackend, grammars: list[tuple[str, Grammar]]
) -> None:
    prompt, g = grammars[0]
    m = primary.model
    calls_before = len(m.recent_s)
    with m.lock:  # another call holds the model
        with pytest.raises(SlmBusyError):
            asyncio.run(primary.complete(SlmRequest(prompt=prompt, grammar=g, timeout_s=0.3)))
        chain = FallbackChain([Step(primary, timeout_s=0.3)], deadline_s=0.5)
        answer = asyncio.run(chain.ask(prompt, g, CallContext(options=(), sizes=())))
    assert answer.ops is None
    assert [a.error.split(":")[0] for a in answer.attempts] == ["SlmBusyError"]
    assert len(m.recent_s) == calls_before  # nothing ran
    ok = primary.complete_sync(SlmRequest(prompt=prompt, grammar=g, timeout_s=30.0))
    assert ok.text  # the model is free again and answers


def test_bench_report_names_the_kernel_and_cpu(primary: LocalBackend) -> None:
    info = decoder_info(primary)
    kernels = {k.value for k in Kernel}
    assert info["prefill_kernel"] in kernels and info["step_kernel"] in kernels
    assert info["cpu_model"]
    assert isinstance(info["flags"], list)
    assert primary.model.kernel_name in describe_decoder(info)


def test_menu_context_is_every_line_but_the_utterance_and_the_cue() -> None:
    prompt = "item: latte\noptions: oat_milk extra_shot\nsay: with oat milk\ndo:"
    assert menu_context(prompt) == "item: latte\noptions: oat_milk extra_shot\n"
    assert menu_context("say: yes\ndo:") == ""


def test_a_cached_menu_context_gives_the_logits_of_the_whole_prompt(primary: LocalBackend) -> None:
    m = primary.model
    assert m.fast is not None
    prompt = _rows(1)[0]["prompt"]
    other = prompt.replace(prompt.splitlines()[-2], "say: actually make that two")
    m._contexts.clear()
    _, cold = m.begin("", prompt)  # computes the context and keeps it
    assert len(m._contexts) == 1
    _, warm = m.begin("", prompt)  # only the utterance and the cue run
    _, reused = m.begin("", other)
    assert len(m._contexts) == 1
    whole = m.fast.forward(m.encode(prompt), m.fast.new_cache(), prompt=True)
    tol = TOLERANCE[m.fast.kernel]  # two passes instead of one: the kernel's rounding differs, no more
    assert torch.allclose(cold, warm, atol=1e-4)
    assert torch.allclose(warm, whole, atol=tol)
    assert torch.allclose(reused, m.fast.forward(m.encode(other), m.fast.new_cache(), prompt=True), atol=tol)
