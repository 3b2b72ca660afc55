"""``orderline bench voice --conditions``: spoken PIZZA under several listening conditions, one table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.progress import Progress, TaskID
from rich.table import Table

from orderline.bench import conditions as cond
from orderline.bench import voice as voice_bench
from orderline.bench.pizza import Example
from orderline.menu.schema import Menu

SpeakerFor = Callable[[str], voice_bench.Says]


def speaker_factory(piper: Callable[[voice_bench.VoiceSpec], voice_bench.Says], cache: Path) -> SpeakerFor:
    """Voices by name, built once each (Piper disguises share the cache folder; espeak-ng has its own)."""
    built: dict[str, voice_bench.Says] = {}

    def get(name: str) -> voice_bench.Says:
        if name not in built:
            if name in cond.PIPER_VOICES:
                built[name] = piper(cond.PIPER_VOICES[name])
            else:
                voice, wpm, pitch = cond.ESPEAK_VOICES[name]
                built[name] = cond.EspeakSpeaker(voice, wpm, pitch, cache / "espeak")
        return built[name]

    return get


def run_conditions(
    conditions: list[cond.Condition],
    examples: list[Example],
    speaker_for: SpeakerFor,
    make_session: voice_bench.SessionFactory,
    menu: Menu,
    bar: Progress,
) -> dict[str, voice_bench.SpokenResult]:
    """Every condition on the same examples (the same noise seeds per example across conditions)."""
    results: dict[str, voice_bench.SpokenResult] = {}
    for condition in conditions:
        task = bar.add_task(condition.name, total=len(examples))
        speaker = speaker_for(condition.voice)

        def channel(
            audio: voice_bench.Float32Array, seed: int, c: cond.Condition = condition
        ) -> voice_bench.Float32Array:
            return cond.degrade(c, audio, seed)

        def advance(n: int, t: TaskID = task) -> None:
            bar.advance(t, n)

        results[condition.name] = voice_bench.run_spoken(
            examples,
            speaker,
            make_session,
            menu,
            channel=channel,
            progress=advance,
        )
    return results


def _pooled(results: list[voice_bench.SpokenResult]) -> tuple[int, int, float]:
    total = sum(r.total for r in results)
    correct = sum(r.correct for r in results)
    words = sum(r.words for r in results)
    wer = sum(r.word_errors for r in results) / words if words else 0.0
    return total, correct, wer


def conditions_table(
    conditions: list[cond.Condition], results: dict[str, voice_bench.SpokenResult], title: str
) -> Table:
    table = Table(title=title)
    for column in ("condition", "role", "orders", "exact match", "WER", "clarify"):
        left = column in ("condition", "role")
        table.add_column(column, justify="left" if left else "right", no_wrap=column == "condition")
    for c in conditions:
        r = results[c.name]
        table.add_row(
            c.name, c.role, str(r.total), f"{r.accuracy:.1%}", f"{r.wer:.1%}", str(r.unintelligible)
        )
    for role in ("tune", "report"):
        mine = [results[c.name] for c in conditions if c.role == role]
        if mine:
            total, correct, wer = _pooled(mine)
            share = correct / total if total else 0.0
            table.add_row(
                f"[bold]all {role}[/bold]", role, str(total), f"[bold]{share:.1%}[/bold]", f"{wer:.1%}", ""
            )
    total, correct, wer = _pooled(list(results.values()))
    table.add_row(
        "[bold]overall[/bold]",
        "",
        str(total),
        f"[bold]{correct / total if total else 0:.1%}[/bold]",
        f"{wer:.1%}",
        "",
    )
    return table


def conditions_json(
    conditions: list[cond.Condition], results: dict[str, voice_bench.SpokenResult]
) -> dict[str, object]:
    out: dict[str, object] = {
        "conditions": [{**cond.describe(c), **results[c.name].to_json()} for c in conditions],
        "tuned_on": [c.name for c in conditions if c.role == "tune"],
        "reported_only": [c.name for c in conditions if c.role == "report"],
    }
    for role in ("tune", "report"):
        mine = [results[c.name] for c in conditions if c.role == role]
        if mine:
            total, correct, wer = _pooled(mine)
            out[role] = {
                "orders": total,
                "exact_match": round(correct / total, 4) if total else None,
                "wer": round(wer, 4),
            }
    return out
