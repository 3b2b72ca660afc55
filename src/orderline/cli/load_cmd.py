"""``orderline bench load``: phone callers and drive-thru lanes at once, stepped up in levels, against a running
server (``--url``) or one it starts itself (``--serve``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orderline.bench import load as load_bench
from orderline.bench import voice as voice_bench
from orderline.bench.loadplot import write_load_plot
from orderline.bench.loadserver import LocalServer
from orderline.bench.machine import machine_info
from orderline.cli.clients_cmd import KeyOption, UrlOption, _key
from orderline.cli.paths import reports_dir

console = Console()
err = Console(stderr=True)


@contextlib.contextmanager
def _server(serve: bool, url: str, pid: int | None) -> Iterator[tuple[str, int | None, LocalServer | None]]:
    if not serve:
        yield url, pid if pid is not None else load_bench.find_server_pid(url), None
        return
    err.print("[dim]starting `orderline serve --demo` on a free port (models load first) ...[/dim]")
    with LocalServer() as local:
        err.print(f"[dim]server {local.url} pid {local.pid}, log {local.log}[/dim]")
        yield local.url, local.pid, local


def _steps(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        err.print(f"[red]--steps {text!r}: give totals like 1,2,4,8[/red]")
        raise typer.Exit(2) from None


def _ms(row: dict[str, Any], q: str) -> str:
    return f"{row['first_audio_ms'][q]:.0f}" if row["turns_measured"] else "-"


def _table(levels: list[dict[str, Any]], cpu_model: object) -> Table:
    table = Table(title=f"Load: end of speech -> first reply audio at the client (ms) — {cpu_model}")
    columns = ("load", "turns", "p50", "p95", "p99", "max", "shed/err", "cpu%", "MB/s", "orders", "lost/dup")
    for column in columns:
        table.add_column(column, justify="right")
    for row in levels:
        server = row["server"] or {}
        orders = row["orders"]
        cpu = server.get("cpu_percent_mean")
        mb = server.get("rss_mb_per_session")
        phone_missing = orders["phone_without_order"]
        table.add_row(
            f"{row['calls']}+{row['lanes']}",
            str(row["turns_measured"]),
            _ms(row, "p50"),
            _ms(row, "p95"),
            _ms(row, "p99"),
            _ms(row, "max"),
            f"{row['shed']}/{row['errors']}",
            "-" if cpu is None else f"{cpu:.0f}",
            "-" if mb is None else f"{mb:.0f}",
            f"{orders['correct']}/{orders['expected']}",
            f"{orders['lost']}/{orders['duplicated']}" + (f" +{phone_missing}" if phone_missing else ""),
        )
    return table


def bench_load(
    calls: Annotated[int, typer.Option(help="Concurrent phone callers at the top level.")] = 10,
    lanes: Annotated[int, typer.Option(help="Concurrent drive-thru lanes at the top level.")] = 2,
    duration: Annotated[float, typer.Option(help="Seconds per level (open conversations finish).")] = 45.0,
    steps: Annotated[
        str | None, typer.Option(help="Concurrent sessions per level, e.g. 1,2,4,12 (default: doubling).")
    ] = None,
    url: UrlOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
    store: Annotated[str, typer.Option(help="The store whose phone line is called.")] = "burger",
    lane_store: Annotated[
        list[str] | None, typer.Option(help="Stores the lanes rotate over (default: burger, pizza, coffee).")
    ] = None,
    auth_token: Annotated[
        str | None,
        typer.Option(
            help="The phone store's Twilio auth token ($TWILIO_AUTH_TOKEN, $ORDERLINE_DEMO_TWILIO_TOKEN)."
        ),
    ] = None,
    serve: Annotated[
        bool, typer.Option(help="Start `orderline serve --demo` on a free port for the run (ignores --url).")
    ] = False,
    server_pid: Annotated[
        int | None, typer.Option(help="The server's pid for CPU/memory (default: found by the port).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds the orders and the think time.")] = 0,
    think: Annotated[
        tuple[float, float], typer.Option(help="Think time between turns, seconds (min max).")
    ] = (1.0, 3.0),
    report: Annotated[Path | None, typer.Option(help="JSON report path (the PNG goes beside it).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Synthesized audio cache folder.")] = None,
) -> None:
    """Phone callers (Twilio Media Streams) and drive-thru lanes speaking synthesized orders in real time,
    stepped up to --calls + --lanes at once, --duration seconds per level. Per level: end of speech -> first
    reply audio at the client p50/p95/p99/max, sessions shed, errors, the server's CPU and memory per session,
    and every confirmed order checked on the store's stream (once, with the spoken lines). The knee is the
    lowest load whose p95 passes 1.2 s."""
    lane_stores = tuple(lane_store or voice_bench.LATENCY_TURNS) if lanes else ()
    stores = list(dict.fromkeys([*lane_stores, *([store] if calls else [])]))
    try:
        levels = load_bench.plan_levels(calls, lanes, _steps(steps))
        book = load_bench.ScriptBook(stores)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    speaker = voice_bench.customer_speaker(cache or reports_dir() / "voice_cache")
    err.print(f"[dim]synthesizing {len(book.texts())} customer utterances (cached) ...[/dim]")
    audio = {text: speaker.say(text) for text in book.texts()}
    cpu = machine_info()
    rows: list[dict[str, Any]] = []
    with _server(serve, url, server_pid) as (base, pid, local):
        keys = local.keys if local is not None else {s: _key(s, key) for s in stores}
        token = (
            local.auth_token
            if local is not None
            else auth_token
            or os.environ.get("TWILIO_AUTH_TOKEN")
            or os.environ.get("ORDERLINE_DEMO_TWILIO_TOKEN")
        )
        if calls and not token:
            err.print("[red]phone callers need --auth-token (or TWILIO_AUTH_TOKEN), or use --serve[/red]")
            raise typer.Exit(2)
        target = load_bench.Target(base, keys, lane_stores, store, token, think_s=think)
        probe = load_bench.ServerProbe(pid)
        orders = load_bench.OrderBook(target)
        orders.prime(stores)
        log_copy = (report or reports_dir() / "bench_load.json").with_suffix(".server.log")
        for n, level in enumerate(levels, 1):
            err.print(
                f"level {n}/{len(levels)}: {level.calls} calls + {level.lanes} lanes for {duration:.0f} s ..."
            )
            before = orders.submitted_counter()
            result = asyncio.run(load_bench.run_level(target, level, duration, book, audio, probe, seed + n))
            after = orders.submitted_counter()
            fresh, full = orders.new_orders(stores)
            result.orders = {
                **load_bench.match_orders(result.conversations, fresh),
                "on_stream": len(fresh),
                "server_submitted": None if before is None or after is None else int(after - before),
                "page_full": full,
            }
            row = result.summary()
            rows.append(row)
            fa = row["first_audio_ms"]
            err.print(
                f"  {row['turns_measured']} turns: p50 {fa['p50']:.0f} ms, p95 {fa['p95']:.0f} ms; "
                f"shed {row['shed']}, errors {row['errors']}; orders {row['orders']['found_once']}"
                f"/{row['orders']['expected']} once"
            )
        if local is not None and local.log.is_file():  # the data folder goes with the server
            shutil.copyfile(local.log, log_copy)
    knee = load_bench.knee(rows)
    sustained = load_bench.sustained_knee(rows)
    console.print(_table(rows, cpu["cpu_model"]))
    knee_text = (
        f"{knee['sessions']} sessions ({knee['calls']} calls + {knee['lanes']} lanes)"
        if knee
        else "not reached"
    )
    sustained_text = f"{sustained['sessions']} sessions" if sustained else "not reached"
    console.print(
        f"knee (p95 > {load_bench.KNEE_MS / 1000:.1f} s): {knee_text}; from there on: {sustained_text}"
    )
    console.print(
        "[dim]load: calls+lanes at once; cpu%: the server process tree, mean (100 = one core); MB/s: memory "
        "per session; orders: correct/expected; lost: lanes that saw submitted with no order on the stream; "
        "+N: finished calls with no order (a call not followed to the confirmation looks the same)[/dim]"
    )
    path = report or reports_dir() / "bench_load.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "cpu": cpu,
        "url": "serve (local, embedded defaults)" if serve else url,
        "server_pid_known": pid is not None,
        "duration_s": duration,
        "think_s": list(think),
        "seed": seed,
        "knee_ms": load_bench.KNEE_MS,
        "knee": knee if knee is not None else "not reached",
        "knee_sustained": sustained if sustained is not None else "not reached",
        "levels": rows,
    }
    path.write_text(json.dumps(summary, indent=2) + "\n")
    plot = write_load_plot(
        path.with_suffix(".png"), rows, load_bench.KNEE_MS, f"Orderline load — {cpu['cpu_model']}"
    )
    console.print(f"plot: {plot}")
    console.print(f"report: {path}")
