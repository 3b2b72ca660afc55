"""``orderline bench conversations``: pass rate of scripted conversations per menu and per tag."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orderline.bench import conversations as conv_bench
from orderline.bench.machine import machine_info
from orderline.cli.paths import reports_dir, resolve_menu
from orderline.core.errors import OrderlineError
from orderline.dialog.scripts import ConversationResult, ScriptFile, load_script
from orderline.engine.slm import SlmBackends, SlmOptions, build_understander
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander

console = Console()
err = Console(stderr=True)


def _menu_name(path: Path, script: ScriptFile) -> str:
    return script.menu or path.stem


def bench_conversations(
    scripts: Annotated[
        list[Path] | None,
        typer.Argument(help="Conversation scripts (default: tests/conversations/independent/*.yaml)."),
    ] = None,
    nlu: Annotated[
        str, typer.Option(help="rules (tier 1 only) or hybrid (tier 1 + SLM at call points).")
    ] = "rules",
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print each failure's problems.")] = False,
) -> None:
    """Run scripted conversations; print the pass rate per menu and per tag and write a JSON report."""
    if nlu not in ("rules", "hybrid"):
        err.print(f"[red]--nlu {nlu}: choose rules or hybrid[/red]")
        raise typer.Exit(2)
    paths = scripts or conv_bench.default_scripts(Path.cwd())
    if not paths:
        err.print("[red]no conversation scripts found (run from a checkout or name the files)[/red]")
        raise typer.Exit(2)
    backends = SlmBackends.build(SlmOptions()) if nlu == "hybrid" else None
    menus: dict[str, Menu] = {}
    understanders: dict[str, Understander] = {}
    plan: list[tuple[str, ScriptFile, Menu, Understander]] = []
    try:
        for path in paths:
            script = load_script(path)
            name = _menu_name(path, script)
            if name not in menus:
                menus[name] = load_menu(resolve_menu(name))
                understanders[name] = build_understander(menus[name], nlu, backends)
            plan.append((name, script, menus[name], understanders[name]))
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

    def show(menu: str, result: ConversationResult) -> None:
        if verbose and not result.passed:
            console.print(f"FAIL [{menu}] {result.name}")
            for problem in result.problems:
                console.print(f"    - {problem}")

    async def score() -> conv_bench.ConversationBench:
        try:
            return await conv_bench.run(plan, show)
        finally:
            if backends is not None:
                await backends.aclose()

    bench = asyncio.run(score())
    table = Table(title=f"Conversations — nlu={nlu}")
    table.add_column("menu / tag")
    table.add_column("passed", justify="right")
    table.add_column("pass rate", justify="right")
    overall = bench.overall
    table.add_row("[bold]all[/bold]", f"{overall.passed}/{overall.total}", f"[bold]{overall.rate:.1%}[/bold]")
    for name, tally in bench.by_menu.items():
        table.add_row(name, f"{tally.passed}/{tally.total}", f"{tally.rate:.1%}")
    for tag, tally in sorted(bench.by_tag.items()):
        table.add_row(f"  tag: {tag}", f"{tally.passed}/{tally.total}", f"{tally.rate:.1%}")
    console.print(table)
    path = report or reports_dir() / "bench_conversations.json"
    document = {"scripts": [str(p) for p in paths], "nlu": nlu, "cpu": machine_info(), **bench.to_json()}
    path.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"report: {path}")
