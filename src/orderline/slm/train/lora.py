"""LoRA fine-tuning with peft on (prompt, answer) pairs; writes an fp16 safetensors adapter.

The loss covers the answer tokens only. The base is any local Hugging Face causal LM; the default is
the bundled SmolLM2-135M-Instruct (dequantised once, see :mod:`orderline.slm.checkpoint`). On a GPU the
same code trains an adapter for a 1-8B base (``--base /path/to/Llama-3.1-8B-Instruct``).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    base: Path
    out: Path
    steps: int = 1200
    batch_size: int = 16
    lr: float = 1e-3
    warmup: int = 50
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    bf16: bool = True  # CPU autocast: about twice as fast where the CPU has AVX512-BF16 or AMX
    layers: int = 16  # adapt the top N blocks: backward stops below them, which halves its cost
    seed: int = 0
    threads: int = 2
    eval_every: int = 200
    target_modules: tuple[str, ...] = TARGET_MODULES


@dataclass
class TrainResult:
    steps: int
    seconds: float
    train_loss: float
    eval_loss: float
    history: list[dict[str, float]] = field(default_factory=list)


def encode(tokenizer: Any, prompt: str, answer: str) -> tuple[list[int], list[int]]:
    """Input ids and labels (-100 over the prompt) for one pair; the answer ends with EOS."""
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    a = tokenizer(" " + answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return p + a, [-100] * len(p) + a


def _loss(model: Any, rows: Sequence[tuple[list[int], list[int]]], pad: int) -> Any:
    """Mean answer-token cross-entropy for a left-padded batch.

    Left padding lines every answer up at the end, so the LM head runs on the last few positions only
    (``logits_to_keep``): with a 49k vocabulary that head is a large share of a 135M model's compute.
    """
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for k, (i, lab) in enumerate(rows):
        ids[k, width - len(i) :] = torch.tensor(i)
        labels[k, width - len(lab) :] = torch.tensor(lab)
        mask[k, width - len(i) :] = 1
    keep = max(sum(1 for x in lab if x != -100) for _, lab in rows) + 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep).logits
    targets = labels[:, width - keep + 1 :]
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=-100
    )


def train_lora(
    cfg: TrainConfig,
    train: Sequence[dict[str, str]],
    evals: Sequence[dict[str, str]],
    progress: bool = True,
    log: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Fine-tune a LoRA adapter and save it (fp16) under ``cfg.out``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(cfg.base)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model = AutoModelForCausalLM.from_pretrained(cfg.base, dtype=torch.float32)
    n_layers = int(model.config.num_hidden_layers)
    lora = LoraConfig(
        layers_to_transform=list(range(n_layers - min(cfg.layers, n_layers), n_layers)),
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)  # type: ignore[assignment]
    rows = [encode(tokenizer, r["prompt"], r["answer"]) for r in train]
    eval_rows = [encode(tokenizer, r["prompt"], r["answer"]) for r in evals]
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)

    def lr_at(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        return 0.5 * (1 + math.cos(math.pi * (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, lr_at)
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    order: list[int] = []
    running = 0.0
    model.train()
    bar = tqdm(range(cfg.steps), desc="training", unit="step", disable=not progress)
    for step in bar:
        if len(order) < cfg.batch_size:
            fresh = list(range(len(rows)))
            rng.shuffle(fresh)
            order += fresh
        picked, order = order[: cfg.batch_size], order[cfg.batch_size :]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = _loss(model, [rows[k] for k in picked], pad)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        sched.step()
        optim.zero_grad()
        running = loss.item() if step == 0 else 0.95 * running + 0.05 * loss.item()
        bar.set_postfix(loss=f"{running:.3f}")
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
            point = {
                "step": float(step + 1),
                "train_loss": running,
                "eval_loss": _eval_loss(model, eval_rows, pad),
            }
            point["seconds"] = time.perf_counter() - started
            history.append(point)
            if log is not None:
                log(point)
            model.train()
    save_adapter(model, cfg.out)
    (cfg.out / "train_config.json").write_text(json.dumps(asdict(cfg), default=str, indent=2) + "\n")
    return TrainResult(
        steps=cfg.steps,
        seconds=time.perf_counter() - started,
        train_loss=running,
        eval_loss=history[-1]["eval_loss"] if history else float("nan"),
        history=history,
    )


def _eval_loss(model: Any, rows: Sequence[tuple[list[int], list[int]]], pad: int, batch: int = 32) -> float:
    import torch

    model.eval()
    rows = rows[:128]
    total, count = 0.0, 0
    with torch.no_grad():
        for k in range(0, len(rows), batch):
            chunk = rows[k : k + batch]
            total += float(_loss(model, chunk, pad)) * len(chunk)
            count += len(chunk)
    return total / max(1, count)


def save_adapter(model: Any, out: Path) -> None:
    """Save the peft adapter with its weights in fp16 (small enough to commit)."""
    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    weights = out / "adapter_model.safetensors"
    tensors = {k: v.half().contiguous() for k, v in load_file(weights).items()}
    save_file(tensors, weights, metadata={"format": "pt"})
