"""Typer entry point. Only this layer (and, later, api/) chooses concrete classes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderline.bench import pizza as pizza_bench
from orderline.bench import turns as turns_bench
from orderline.bench.machine import machine_info
from orderline.cli import (
    clients_cmd,
    conversations_cmd,
    load_cmd,
    serve_cmd,
    slm_cmds,
    train_cmd,
    users_cmd,
    voice_cmd,
)
from orderline.cli.paths import reports_dir, resolve_menu
from orderline.cli.view import print_order
from orderline.core.errors import OrderlineError
from orderline.dialog.scripts import ConversationResult, load_script, run_script
from orderline.dialog.session import TextSession
from orderline.engine.slm import DEFAULT_SLM_URL, SlmBackends, SlmOptions, build_understander
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.matcher import RuleMatcher

app = typer.Typer(
    name="orderline",
    help="Orderline: a hybrid voice-ordering engine for restaurants (deterministic order state machine + "
    "small language model slot filler).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks: print a table and write a JSON report.", no_args_is_help=True)
menu_app = typer.Typer(help="Check and inspect menu files.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(menu_app, name="menu")
app.command()(train_cmd.train)
app.command("serve-slm")(slm_cmds.serve_slm)
app.command("voice")(voice_cmd.voice)
app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.keys_app, name="keys")
app.add_typer(users_cmd.users_app, name="users")
app.command("lane-client")(clients_cmd.lane_client)
app.command("phone-client")(clients_cmd.phone_client)
bench_app.command("wire")(clients_cmd.bench_wire)
bench_app.command("load")(load_cmd.bench_load)
bench_app.command("endpoint")(clients_cmd.bench_endpoint)
bench_app.command("voice")(voice_cmd.bench_voice)
app.command("eval")(slm_cmds.eval_cmd)
bench_app.command("slm")(slm_cmds.bench_slm)
bench_app.command("conversations")(conversations_cmd.bench_conversations)

console = Console()
err = Console(stderr=True)

MenuOption = Annotated[
    str, typer.Option("--menu", "-m", help="Menu YAML path or name (burger, pizza, coffee).")
]


def _load(menu: str) -> Menu:
    try:
        return load_menu(resolve_menu(menu))
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )


@app.command()
def chat(
    menu: MenuOption = "burger",
    script: Annotated[
        Path | None,
        typer.Option("--script", "-s", help="Run a YAML conversation script instead of a prompt."),
    ] = None,
    daypart: Annotated[str | None, typer.Option(help="Daypart to order in (e.g. breakfast).")] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show transcripts of scripted runs.")
    ] = False,
    nlu: Annotated[
        str, typer.Option(help="rules (tier 1 only) or hybrid (tier 1 + SLM at call points).")
    ] = "rules",
) -> None:
    """Order by typing. Shows the order and total after every turn; Ctrl-D or 'quit' to leave."""
    the_menu = _load(menu)
    if nlu not in ("rules", "hybrid"):
        err.print(f"[red]--nlu {nlu}: choose rules or hybrid[/red]")
        raise typer.Exit(2)
    backends = SlmBackends.build(SlmOptions()) if nlu == "hybrid" else None
    understander = build_understander(the_menu, nlu, backends)
    try:
        if script is not None:
            _run_script(script, the_menu, understander, verbose)
            return
        asyncio.run(_repl(the_menu, understander, daypart))
    finally:
        if backends is not None:
            asyncio.run(backends.aclose())


async def _repl(the_menu: Menu, understander: Understander, daypart: str | None) -> None:
    session = TextSession.start(the_menu, understander, daypart)
    console.print(f"[bold cyan]{the_menu.name}[/bold cyan]: {session.greeting()}")
    while not session.order.is_closed:
        try:
            text = console.input("[bold]you> [/bold]")
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if text.strip().lower() in ("quit", "exit"):
            break
        if not text.strip():
            continue
        turn = await session.say(text)
        console.print(f"[bold cyan]orderline>[/bold cyan] {turn.reply}")
        print_order(console, turn.order, the_menu)


def _run_script(path: Path, menu: Menu, understander: Understander, verbose: bool) -> None:
    try:
        script = load_script(path)
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

    def show(result: ConversationResult) -> None:
        mark = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
        console.print(f"{mark} {result.name}")
        if verbose or not result.passed:
            for said, reply in result.transcript:
                console.print(f"    [dim]you>[/dim] {said}\n    [dim]orderline>[/dim] {reply}")
            for problem in result.problems:
                console.print(f"    [red]- {problem}[/red]")

    results = asyncio.run(run_script(script, menu, understander, show))
    passed = sum(r.passed for r in results)
    console.print(f"{passed} passed, {len(results) - passed} failed")
    if passed != len(results):
        raise typer.Exit(1)


@bench_app.command("pizza")
def bench_pizza(
    data: Annotated[
        Path, typer.Option(help="PIZZA JSON-lines file (e.g. ../shared/benchmarks/pizza/PIZZA_dev.json).")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Write one {src, exr} JSON line per utterance here.")
    ] = None,
    nlu: Annotated[
        str, typer.Option(help="rules (tier 1 only) or hybrid (tier 1 + SLM at call points).")
    ] = "rules",
    menu: MenuOption = "pizza",
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
    adapter: Annotated[
        Path | None, typer.Option(help="SLM adapter for --nlu hybrid (default: the committed one).")
    ] = None,
    slm: Annotated[str, typer.Option(help="SLM backend for --nlu hybrid: local or vllm.")] = "local",
    slm_url: Annotated[str, typer.Option(help="OpenAI-compatible server for --slm vllm.")] = DEFAULT_SLM_URL,
) -> None:
    """Parse PIZZA orders with the pizza menu; print unordered exact match overall and per category.

    With --nlu hybrid, tier 1's result is printed beside it, with the share of utterances that called the SLM.
    """
    if nlu not in ("rules", "hybrid"):
        err.print(f"[red]--nlu {nlu}: choose rules or hybrid[/red]")
        raise typer.Exit(2)
    if not data.exists():
        err.print(f"[red]{data}: no such file[/red]")
        raise typer.Exit(2)
    the_menu = _load(menu)
    matcher = RuleMatcher(the_menu)
    try:
        examples = list(pizza_bench.read_examples(data))
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    backends = (
        SlmBackends.build(SlmOptions(backend=slm, adapter=adapter, url=slm_url)) if nlu == "hybrid" else None
    )
    understander = build_understander(the_menu, nlu, backends)

    async def score() -> tuple[pizza_bench.PizzaResult, pizza_bench.PizzaResult | None]:
        tier1: pizza_bench.PizzaResult | None = None
        try:
            with _progress() as bar:
                if nlu == "hybrid":
                    task1 = bar.add_task("tier 1", total=len(examples))
                    tier1 = await pizza_bench.run(
                        examples, matcher.understand_async, the_menu, None, lambda n: bar.advance(task1, n)
                    )
                task = bar.add_task("parsing", total=len(examples))
                result = await pizza_bench.run(
                    examples, understander.understand_async, the_menu, out, lambda n: bar.advance(task, n)
                )
        finally:
            if backends is not None:
                await backends.aclose()
        return result, tier1

    result, tier1 = asyncio.run(score())
    summary = result.to_json()
    if tier1 is not None:
        summary["tier1_exact_match"] = round(tier1.accuracy, 4)
    table = Table(title=f"PIZZA exact match — {data.name} — nlu={nlu}")
    table.add_column("category")
    table.add_column("orders", justify="right")
    table.add_column("exact match", justify="right")
    table.add_row("[bold]all[/bold]", str(result.total), f"[bold]{result.accuracy:.2%}[/bold]")
    if tier1 is not None:
        table.add_row("tier 1 only", str(tier1.total), f"{tier1.accuracy:.2%}")
        table.add_row("SLM call rate", str(result.with_calls), f"{result.call_rate:.2%}")
    for name, row in result.by_category.items():
        table.add_row(name, str(row[1]), f"{row[0] / row[1]:.2%}" if row[1] else "-")
    console.print(table)
    console.print(f"{len(examples)} utterances in {result.seconds:.2f} s")
    path = report or reports_dir() / "bench_pizza.json"
    path.write_text(
        json.dumps({"data": str(data), "nlu": nlu, "cpu": machine_info(), **summary}, indent=2) + "\n"
    )
    console.print(f"report: {path}" + (f", predictions: {out}" if out else ""))


@bench_app.command("turns")
def bench_turns(
    menu: MenuOption = "burger",
    count: Annotated[int, typer.Option(help="How many generated utterances.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed for the generator.")] = 0,
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
) -> None:
    """Time deterministic turns (text -> commands -> transition -> reply); print p50/p99 per stage."""
    the_menu = _load(menu)
    matcher = RuleMatcher(the_menu)
    utterances = turns_bench.generate_utterances(the_menu, count, seed)
    asyncio.run(turns_bench.run(the_menu, matcher, utterances[:50]))  # warm-up
    with _progress() as bar:
        task = bar.add_task("turns", total=len(utterances))
        timings = asyncio.run(
            turns_bench.run(the_menu, matcher, utterances, progress=lambda n: bar.advance(task, n))
        )
    summary = timings.summary()
    table = Table(title=f"Deterministic turn latency — {the_menu.id} — {count} turns (ms)")
    for column in ("stage", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage, row in summary.items():
        table.add_row(stage, f"{row['p50']:.3f}", f"{row['p99']:.3f}", f"{row['max']:.3f}")
    console.print(table)
    path = report or reports_dir() / f"bench_turns_{the_menu.id}.json"
    path.write_text(
        json.dumps({"menu": the_menu.id, "turns": count, "cpu": machine_info(), "ms": summary}, indent=2)
        + "\n"
    )
    console.print(f"report: {path}")


@menu_app.command("check")
def menu_check(paths: Annotated[list[Path], typer.Argument(help="Menu YAML files.")]) -> None:
    """Validate menus; print a summary of each or the problems, naming file, path and problem."""
    failed = False
    for path in paths:
        try:
            m = load_menu(path)
        except OrderlineError as exc:
            err.print(f"[red]{exc}[/red]")
            failed = True
            continue
        options = sum(len(g.options) for g in m.modifier_groups)
        combos = sum(1 for i in m.items if i.is_combo)
        console.print(
            f"[green]ok[/green] {path}: {m.name}: {len(m.items)} items ({combos} combos), {options} options"
        )
    if failed:
        raise typer.Exit(2)


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="orderline")


if __name__ == "__main__":  # pragma: no cover
    main()
