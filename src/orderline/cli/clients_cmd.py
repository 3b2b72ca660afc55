"""``orderline lane-client``, ``orderline phone-client`` and ``orderline bench wire``: clients that talk to a
running server as a lane or a phone line does and measure what a customer would feel."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import httpx
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.wav import write_wav
from orderline.bench import voice as voice_bench
from orderline.bench import wire as wire_bench
from orderline.bench.machine import machine_info
from orderline.cli.paths import reports_dir
from orderline.clients.lane import LaneClient
from orderline.clients.phone import run_call
from orderline.clients.timing import ClientTurn
from orderline.engine.settings import Settings
from orderline.engine.storage import data_dir

console = Console()
err = Console(stderr=True)

UrlOption = Annotated[str, typer.Option(help="The server's base URL.")]
KeyOption = Annotated[
    str | None, typer.Option(help="API key (default: $ORDERLINE_KEY, else the demo key of `make run`).")
]
WavOption = Annotated[
    list[Path], typer.Option("--wav", "-w", help="A customer turn as a WAV file; repeat in order.")
]


def _key(store: str, key: str | None) -> str:
    key = key or os.environ.get("ORDERLINE_KEY")
    if key:
        return key
    path = data_dir(Settings()) / "demo-keys.json"
    if path.is_file():
        keys: dict[str, str] = json.loads(path.read_text())
        if store in keys:
            return keys[store]
    err.print(f"[red]no API key: give --key or set ORDERLINE_KEY (no demo key for {store!r} in {path})[/red]")
    raise typer.Exit(2)


def _load(wavs: list[Path]) -> list[tuple[str, np.ndarray]]:
    missing = [p for p in wavs if not p.is_file()]
    if missing:
        err.print(f"[red]{missing[0]}: no such file[/red]")
        raise typer.Exit(2)
    return [(p.name, voice_bench.load_utterance(p)) for p in wavs]


def _print_turns(turns: list[ClientTurn]) -> None:
    for turn in turns:
        ms = f"{turn.first_audio_ms:.0f} ms" if turn.first_audio_ms is not None else "no reply audio"
        console.print(f"[bold]you>[/bold] ({turn.said}) [dim]heard:[/dim] {turn.transcript or '-'}")
        console.print(f"[bold cyan]orderline>[/bold cyan] {turn.reply or '-'}")
        console.print(
            f"[dim]end of speech -> first reply audio at the client: [bold]{ms}[/bold]; {turn.state} {turn.total}[/dim]"
        )


def _save(out: Path | None, turns: list[ClientTurn], rate: int) -> None:
    if out is None:
        return
    gap = np.zeros(rate // 2, dtype=np.float32)
    pieces = [p for t in turns for p in (t.reply_audio, gap)]
    write_wav(out, np.concatenate(pieces) if pieces else gap, rate)
    console.print(f"replies: {out}")


def lane_client(
    wav: WavOption,
    store: Annotated[str, typer.Option(help="Store id.")] = "burger",
    lane: Annotated[str, typer.Option(help="Lane name.")] = "1",
    url: UrlOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
    out: Annotated[Path | None, typer.Option(help="Save the reply audio here (WAV).")] = None,
) -> None:
    """Drive a lane: stream each WAV in real time, wait for the reply as a customer would, print per turn the
    end of speech -> first reply audio (wall clock at the client), transcript and order."""
    turns = _load(wav)
    ws = url.replace("http", "ws", 1) + f"/v1/stores/{store}/lanes/{lane}/stream"

    async def main() -> list[ClientTurn]:
        async with LaneClient(ws, _key(store, key)) as client:
            return [await client.turn(audio, said) for said, audio in turns]

    result = asyncio.run(main())
    _print_turns(result)
    _save(out, result, SAMPLE_RATE)


def phone_client(
    webhook: Annotated[
        str,
        typer.Argument(
            help="The TwiML webhook, e.g. http://127.0.0.1:8000/v1/phone/twilio/voice?store=burger"
        ),
    ],
    wav: WavOption,
    auth_token: Annotated[
        str | None, typer.Option(help="The store's Twilio auth token (default: $TWILIO_AUTH_TOKEN).")
    ] = None,
    dtmf: Annotated[
        str | None, typer.Option(help="Press this key after the last turn (0: ask for a person).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Save the reply audio here (WAV, 8 kHz).")] = None,
) -> None:
    """Place a call as Twilio does: answer the (signed) webhook, open the media stream, speak each WAV as µ-law
    frames in real time, and print per turn the end of speech -> first reply audio at the client."""
    token = auth_token or os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        err.print(
            "[red]give --auth-token or set TWILIO_AUTH_TOKEN (the store's phone.auth_token_env value)[/red]"
        )
        raise typer.Exit(2)
    try:
        _, result = asyncio.run(run_call(webhook, token, _load(wav), hang_up_dtmf=dtmf))
    except httpx.HTTPStatusError as exc:
        err.print(f"[red]the webhook answered {exc.response.status_code}: {exc.response.text[:300]}[/red]")
        raise typer.Exit(2) from None
    _print_turns(result)
    _save(out, result, 8000)


def bench_wire(
    channel: Annotated[str, typer.Option(help="lane or phone.")] = "lane",
    turns: Annotated[
        int | None, typer.Option(help="At most this many latency turns (default: all 30).")
    ] = None,
    url: UrlOption = "http://127.0.0.1:8000",
    key: KeyOption = None,
    store: Annotated[str, typer.Option(help="Phone: the store whose line is called.")] = "burger",
    auth_token: Annotated[
        str | None, typer.Option(help="Phone: the store's Twilio auth token ($TWILIO_AUTH_TOKEN).")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
    cache: Annotated[Path | None, typer.Option(help="Synthesized audio cache folder.")] = None,
) -> None:
    """End of speech -> first reply audio at the client, over a real socket in real time, on a running server:
    p50/p95/max, the false-cutoff rate on turns with natural mid-turn pauses (lane), and the per-stage split
    the server recorded. This is the project's headline latency."""
    if channel not in ("lane", "phone"):
        err.print(f"[red]--channel {channel}: choose lane or phone[/red]")
        raise typer.Exit(2)
    speaker = voice_bench.customer_speaker(cache or reports_dir() / "voice_cache")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = (turns or 30) + (
        sum(len(v) for v in wire_bench.PAUSED_TURNS.values()) if channel == "lane" else 0
    )
    if channel == "phone":
        total = turns or len(voice_bench.LATENCY_TURNS[store])
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task(f"{channel} turns (real time)", total=total)
        if channel == "lane":
            keys = {s: _key(s, key) for s in voice_bench.LATENCY_TURNS}
            result, sessions = asyncio.run(
                wire_bench.run_lane(url, keys, speaker, turns, lambda n: bar.advance(task, n))
            )
            with httpx.Client(base_url=url, timeout=30) as http:
                records = [
                    http.get(f"/v1/sessions/{sid}", headers={"Authorization": f"Bearer {keys[s]}"}).json()
                    for s, sid in sessions
                ]
            wire_bench.collect_server_stages(result, records)
        else:
            token = auth_token or os.environ.get("TWILIO_AUTH_TOKEN")
            if not token:
                err.print("[red]--channel phone needs --auth-token or TWILIO_AUTH_TOKEN[/red]")
                raise typer.Exit(2)
            webhook = f"{url}/v1/phone/twilio/voice?store={store}"
            result = asyncio.run(
                wire_bench.run_phone(webhook, token, speaker, turns, lambda n: bar.advance(task, n), store)
            )
    summary = result.summary()
    cpu = machine_info()
    table = Table(title=f"End of speech -> first reply audio at the client — {channel} — {cpu['cpu_model']}")
    for column in ("turns", "p50 ms", "p95 ms", "max ms", "false cutoffs"):
        table.add_column(column, justify="right")
    fa = summary["first_audio_ms"]
    cut = f"{result.false_cutoffs}/{result.paused}" if result.paused else "-"
    table.add_row(str(summary["answered"]), f"{fa['p50']:.0f}", f"{fa['p95']:.0f}", f"{fa['max']:.0f}", cut)
    console.print(table)
    if summary["server_stages_p50_ms"]:
        stages = " · ".join(
            f"{k.removesuffix('_ms')} {v:.0f}" for k, v in summary["server_stages_p50_ms"].items()
        )
        console.print(f"[dim]server-side p50 per stage (ms): {stages}[/dim]")
    path = report or reports_dir() / f"bench_wire_{channel}.json"
    path.write_text(json.dumps({"cpu": cpu, "url": url, **summary}, indent=2) + "\n")
    console.print(f"report: {path}")


def bench_endpoint(
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
    cache: Annotated[Path | None, typer.Option(help="Synthesized audio cache folder.")] = None,
) -> None:
    """End-of-turn judges on phrases cut at a mid-turn pause vs whole turns: the runner's text hint, Smart
    Turn v3.2 (audio, from the pipecat-ai wheel) and both; false cutoffs and needless holds."""
    from orderline.audio.smart_turn import SmartTurn
    from orderline.bench import endpointing

    speaker = voice_bench.customer_speaker(cache or reports_dir() / "voice_cache")
    try:
        model = SmartTurn()
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    judged, ms = endpointing.judge(speaker, model, lambda n: None)
    summary = endpointing.scores(judged, ms)
    table = Table(
        title=f"End-of-turn judges — {summary['unfinished']} unfinished, {summary['finished']} whole turns"
    )
    for column in ("judge", "false cutoffs", "needless holds"):
        table.add_column(column, justify="left" if column == "judge" else "right")
    judges = summary["judges"]
    assert isinstance(judges, dict)
    for name, row in judges.items():
        table.add_row(
            name,
            f"{row['false_cutoffs']}/{summary['unfinished']}",
            f"{row['needless_holds']}/{summary['finished']}",
        )
    console.print(table)
    console.print(f"[dim]Smart Turn per call: {summary['smart_turn_ms']}[/dim]")
    path = report or reports_dir() / "bench_endpoint.json"
    path.write_text(json.dumps({"cpu": machine_info(), **summary}, indent=2) + "\n")
    console.print(f"report: {path}")
