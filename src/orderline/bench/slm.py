"""SLM measurements: accuracy on the held-out synthetic split and per-call latency.

Rows are ``{"prompt", "answer", "menu"}`` (``eval.jsonl`` written by ``orderline train``). The call's
grammar is rebuilt from the prompt and the menu exactly as the hybrid understander builds it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orderline.menu.schema import Item, Menu
from orderline.nlu.dsl import CallContext, grammar
from orderline.slm.base import SlmBackend, SlmError, SlmRequest


def read_rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def context_from_prompt(menu: Menu, prompt: str) -> CallContext:
    """The call context a prompt was built with (its item, or its order lines)."""
    by_name = {i.name.lower(): i for i in menu.items}
    items: list[Item] = []
    n_lines = 0
    for row in prompt.splitlines():
        if row.startswith("item: ") and row[6:] in by_name:
            items = [by_name[row[6:]]]
        elif row.startswith("lines: "):
            names = [part.strip().split(" ", 1)[1] for part in row[7:].split("|")]
            items = [by_name[n] for n in names if n in by_name]
            n_lines = len(names)
    return CallContext.for_items(menu, items, n_lines=n_lines)


def percentiles(values: Iterable[float]) -> dict[str, float]:
    v = sorted(values)
    if not v:
        return {}

    def pick(f: float) -> float:
        return round(v[min(len(v) - 1, int(len(v) * f))], 2)

    return {"p50": pick(0.5), "p95": pick(0.95), "max": round(v[-1], 2), "mean": round(sum(v) / len(v), 2)}


@dataclass
class SynthEval:
    total: int = 0
    exact: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    tp: int = 0
    fp: int = 0
    fn: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "examples": self.total,
            "exact_match": round(self.exact / self.total, 4) if self.total else 0.0,
            "by_kind": {
                k: {"total": v[1], "exact_match": round(v[0] / v[1], 4)}
                for k, v in sorted(self.by_kind.items())
            },
            "slot_precision": round(precision, 4),
            "slot_recall": round(recall, 4),
            "slot_f1": round(f1, 4),
            "latency_ms": percentiles(self.latencies_ms),
            "confusion": [
                {"expected": e, "predicted": p, "count": n} for (e, p), n in self.confusion.most_common(25)
            ],
            "failures": self.failures[:30],
        }


def _words_by_key(answer: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for word in answer.split():
        if word in ("none", "?"):
            continue
        key = word[1:].split("=")[0].split("@")[0] if word[:1] in "+-" else word.split("=")[0]
        out[key] = word
    return out


def evaluate(
    rows: list[dict[str, str]],
    menus: dict[str, Menu],
    backend: SlmBackend,
    progress: Callable[[int], None] | None = None,
) -> SynthEval:
    """Exact match, slot-level P/R/F1, a confusion table of wrong modifier words, latency."""
    result = SynthEval()

    async def go() -> None:
        for row in rows:
            menu = menus[row["menu"]]
            ctx = context_from_prompt(menu, row["prompt"])
            request = SlmRequest(prompt=row["prompt"], grammar=grammar(ctx), timeout_s=10.0)
            started = time.perf_counter()
            try:
                answer = (await backend.complete(request)).text
            except SlmError as exc:
                answer = f"<error {exc}>"
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            ok = sorted(answer.split()) == sorted(row["answer"].split())
            result.total += 1
            result.exact += ok
            counts = result.by_kind.setdefault(row.get("kind", "all"), [0, 0])
            counts[0] += ok
            counts[1] += 1
            want, got = _words_by_key(row["answer"]), _words_by_key(answer)
            for key, word in want.items():
                if got.get(key) == word:
                    result.tp += 1
                else:
                    result.fn += 1
                    result.confusion[(word, got.get(key, "(missing)"))] += 1
            for key, word in got.items():
                if want.get(key) != word:
                    result.fp += 1
                    if key not in want:
                        result.confusion[("(nothing)", word)] += 1
            if not ok:
                say = next((r[5:] for r in row["prompt"].splitlines() if r.startswith("say: ")), "")
                result.failures.append({"say": say, "expected": row["answer"], "got": answer})
            if progress is not None:
                progress(1)

    asyncio.run(go())
    return result


def time_calls(
    rows: list[dict[str, str]],
    menus: dict[str, Menu],
    backend: SlmBackend,
    warmup: int = 3,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[float], list[int]]:
    """Per-call wall time (ms) and answer tokens for each row, after a few warm-up calls."""
    latencies: list[float] = []
    tokens: list[int] = []

    async def go() -> None:
        for k, row in enumerate(rows):
            ctx = context_from_prompt(menus[row["menu"]], row["prompt"])
            request = SlmRequest(prompt=row["prompt"], grammar=grammar(ctx), timeout_s=30.0)
            started = time.perf_counter()
            result = await backend.complete(request)
            if k >= warmup:
                latencies.append((time.perf_counter() - started) * 1000)
                tokens.append(result.tokens)
            if progress is not None:
                progress(1)

    asyncio.run(go())
    return latencies, tokens


def decoder_info(backend: SlmBackend) -> dict[str, object]:
    """How the backend decodes, for the report: the kernel chosen at start-up, why, and the CPU it saw.

    A remote backend (vLLM, ``serve-slm``) decodes elsewhere: ``{"kernel": "remote"}``.
    """
    from orderline.slm.local import LocalBackend

    if not isinstance(backend, LocalBackend):
        return {"kernel": "remote"}
    model = backend.model
    return {**model.kernel.to_json(), "kernel": model.kernel_name}


def describe_decoder(info: dict[str, object]) -> str:
    """One line for the table title: ``kernel fp32 (auto: no native bf16) on AMD EPYC 7B12, AVX2``."""
    if info.get("kernel") == "remote":
        return "remote decoder"
    return f"kernel {info['kernel']} ({info.get('reason', '')}) on {info.get('cpu_model')}, {info.get('torch_capability')}"
