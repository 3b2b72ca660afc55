"""SLM commands: ``serve-slm``, ``eval`` and ``bench slm``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orderline.bench import pizza as pizza_bench
from orderline.bench import slm as slm_bench
from orderline.bench.machine import machine_info
from orderline.bench.report import write_html, write_plots
from orderline.cli.paths import reports_dir, resolve_menu
from orderline.dialog.blocking import run_blocking
from orderline.engine.assets import default_adapter
from orderline.engine.slm import SlmBackends, SlmOptions, build_understander, local_backends
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.synth import synthesize
from orderline.slm.base import SlmBackend

console = Console()
err = Console(stderr=True)
BUNDLED_MENUS = ("burger", "pizza", "coffee")

AdapterOption = Annotated[
    Path | None,
    typer.Option(help="LoRA adapter folder (fp16 safetensors + card); default: the committed one."),
]


def _menus(names: tuple[str, ...] | list[str] = BUNDLED_MENUS) -> dict[str, Menu]:
    loaded = [load_menu(resolve_menu(n)) for n in names]
    return {m.id: m for m in loaded}


def serve_slm(
    adapter: AdapterOption = None,
    name: Annotated[
        str, typer.Option(help="Model name the adapter is served under.")
    ] = "orderline-smollm2-lora",
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8100,
    threads: Annotated[int, typer.Option(help="CPU threads for torch.")] = 2,
    delay_ms: Annotated[
        int,
        typer.Option(
            help="Fault drill: answer every completion this much later (tests the client's deadlines)."
        ),
    ] = 0,
    drills: Annotated[
        bool, typer.Option(help="Enable POST /drill to change --delay-ms at run time.")
    ] = False,
) -> None:
    """Serve the local CPU backend over vLLM's OpenAI-compatible completions API (the subset Orderline uses).

    Models: NAME (base + adapter, merged) and 'base' (the bundled base model; callers send their own few-shot
    prefix, whose KV cache is reused).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import uvicorn

    from orderline.slm.server import create_slm_app

    adapter = adapter or default_adapter()

    primary, secondary = local_backends(SlmOptions(adapter=adapter, threads=threads))
    app = create_slm_app({name: primary, "base": secondary}, default=name, delay_ms=delay_ms, drills=drills)
    err.print(f"serving {name} ({adapter}) and base on http://{host}:{port}/v1")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def eval_cmd(
    adapter: AdapterOption = None,
    data: Annotated[
        Path | None, typer.Option(help="Held-out synthetic split (default: ADAPTER/eval.jsonl).")
    ] = None,
    pizza: Annotated[
        Path | None,
        typer.Option(
            help="PIZZA JSON lines to score with --nlu hybrid (e.g. ../shared/benchmarks/pizza/PIZZA_dev.json)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Use at most this many synthetic rows (0: all).")] = 0,
    out: Annotated[Path | None, typer.Option(help="Report folder (JSON, PNG, HTML).")] = None,
    update_card: Annotated[
        bool, typer.Option(help="Write the scores into the adapter's model card.")
    ] = False,
) -> None:
    """Score the adapter: synthetic held-out split (exact match, slot P/R/F1, modifier confusions, latency) and,
    with --pizza, order-level exact match per category with the hybrid understander and its SLM call rate."""
    from orderline.slm.train.card import update_card as write_scores

    adapter = adapter or default_adapter()
    rows = slm_bench.read_rows(data or adapter / "eval.jsonl")
    if limit:
        rows = rows[:limit]
    menus = _menus()
    backends = SlmBackends.build(SlmOptions(adapter=adapter, second_model=None))  # this adapter, alone
    primary = backends.primary
    with _Bar(len(rows), "synthetic") as advance:
        synth = slm_bench.evaluate(rows, menus, primary, progress=advance)
    summary: dict[str, object] = {
        "adapter": str(adapter),
        "cpu": machine_info(),
        "synthetic": synth.to_json(),
    }
    pizza_json: dict[str, object] | None = None
    if pizza is not None:
        menu = menus["pizza"]
        understander = build_understander(menu, "hybrid", backends)
        examples = list(pizza_bench.read_examples(pizza))
        with _Bar(len(examples), "pizza") as advance:
            result = run_blocking(
                pizza_bench.run(examples, understander.understand_async, menu, None, advance)
            )
        pizza_json = result.to_json()
        summary["pizza"] = {"data": str(pizza), **pizza_json}
    folder = out or reports_dir() / "eval"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eval.json").write_text(json.dumps(summary, indent=2) + "\n")
    png = write_plots(folder, synth.to_json(), synth.latencies_ms, pizza_json)
    page = write_html(folder, summary, png)
    _print_eval(summary)
    if update_card:
        scores = {k: v for k, v in synth.to_json().items() if k not in ("confusion", "failures")}
        if pizza_json:
            scores["pizza_dev_hybrid"] = {k: pizza_json[k] for k in ("exact_match", "slm")}
        write_scores(adapter, "eval", scores)
    console.print(f"report: {folder / 'eval.json'}, {png}, {page}")


def _print_eval(summary: dict[str, object]) -> None:
    synth = summary["synthetic"]
    assert isinstance(synth, dict)
    table = Table(title="SLM evaluation")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("synthetic exact match", f"{synth['exact_match']:.2%} of {synth['examples']}")
    for kind, row in synth["by_kind"].items():
        table.add_row(f"  {kind}", f"{row['exact_match']:.2%} of {row['total']}")
    table.add_row(
        "slot P / R / F1",
        f"{synth['slot_precision']:.3f} / {synth['slot_recall']:.3f} / {synth['slot_f1']:.3f}",
    )
    lat = synth["latency_ms"]
    table.add_row("call latency p50 / p95", f"{lat.get('p50', 0):.0f} / {lat.get('p95', 0):.0f} ms")
    pizza = summary.get("pizza")
    if isinstance(pizza, dict):
        table.add_row("PIZZA hybrid exact match", f"{pizza['exact_match']:.2%} of {pizza['total']}")
        table.add_row("PIZZA SLM call rate", f"{pizza['slm']['call_rate']:.2%}")
    console.print(table)


def bench_slm(
    adapter: AdapterOption = None,
    n: Annotated[int, typer.Option(help="Calls to time.")] = 200,
    backend: Annotated[str, typer.Option(help="local (in process) or vllm (HTTP, see --url).")] = "local",
    url: Annotated[
        str, typer.Option(help="OpenAI-compatible server for --backend vllm.")
    ] = "http://127.0.0.1:8100",
    model: Annotated[str, typer.Option(help="Model name for --backend vllm.")] = "orderline-smollm2-lora",
    threads: Annotated[int, typer.Option(help="CPU threads for the local backend.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic prompts (not the training seed).")] = 1234,
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
) -> None:
    """Time SLM calls on fresh synthetic call-point prompts from the three bundled menus: p50/p95 per call."""
    menus = _menus()
    rows = [e.as_json() for e in synthesize(list(menus.values()), n + 3, seed=seed)]
    if backend == "vllm":
        from orderline.slm.vllm import VllmBackend

        slm: SlmBackend = VllmBackend(url, model=model)
        name = slm.name
    else:
        from orderline.slm.local import LocalBackend, LocalModel

        slm_local = LocalBackend(LocalModel(adapter=adapter or default_adapter(), threads=threads))
        slm, name = slm_local, slm_local.name
    with _Bar(len(rows), "timing") as advance:
        latencies, tokens = slm_bench.time_calls(rows, menus, slm, warmup=3, progress=advance)
    stats = slm_bench.percentiles(latencies)
    decoder = slm_bench.decoder_info(slm)
    table = Table(
        title=f"SLM calls — {name} — {backend}, {threads} threads — {slm_bench.describe_decoder(decoder)}"
    )
    for col in ("calls", "p50 ms", "p95 ms", "max ms", "mean ms", "mean tokens"):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(latencies)),
        f"{stats['p50']:.0f}",
        f"{stats['p95']:.0f}",
        f"{stats['max']:.0f}",
        f"{stats['mean']:.0f}",
        f"{sum(tokens) / max(1, len(tokens)):.1f}",
    )
    console.print(table)
    path = report or reports_dir() / "bench_slm.json"
    path.write_text(
        json.dumps(
            {
                "backend": backend,
                "cpu": machine_info(),
                "model": name,
                "threads": threads,
                "decoder": decoder,
                "calls": len(latencies),
                "latency_ms": stats,
                "mean_tokens": sum(tokens) / max(1, len(tokens)),
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"report: {path}")


class _Bar:
    """A rich progress bar as a context manager yielding an ``advance(n)`` callback."""

    def __init__(self, total: int, label: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        )
        self._task = self._progress.add_task(label, total=total)

    def __enter__(self) -> Callable[[int], None]:
        self._progress.start()
        return lambda k: self._progress.advance(self._task, k)

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
