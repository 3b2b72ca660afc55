"""The orderline command as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from orderline.cli.app import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("chat", "bench", "menu"):
        assert command in result.output


def test_menu_check_accepts_the_bundled_menus() -> None:
    paths = [str(p) for p in sorted((ROOT / "menus").glob("*.yaml"))]
    result = runner.invoke(app, ["menu", "check", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 3


def test_menu_check_names_file_path_and_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: X\nitems:\n  - {id: a, name: A, category: c, price: -1}\n")
    result = runner.invoke(app, ["menu", "check", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "items[0].price" in result.output


def test_chat_reads_typed_turns_until_end_of_input() -> None:
    result = runner.invoke(app, ["chat", "--menu", "pizza"], input="two cokes\nthat's it\n")
    assert result.exit_code == 0, result.output
    assert "Coke" in result.output and "Total" in result.output


def test_chat_script_exits_non_zero_when_a_conversation_fails(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(
        "conversations:\n"
        "  - name: wrong on purpose\n"
        "    turns: ['two cokes']\n"
        "    expect: {lines: [{item: sprite}]}\n"
    )
    result = runner.invoke(app, ["chat", "--menu", "pizza", "--script", str(script)])
    assert result.exit_code == 1
    assert "0 passed, 1 failed" in result.output


def test_bench_pizza_writes_predictions_and_a_report(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    rows = [
        {
            "dev.SRC": "two large cokes",
            "dev.EXR": "(ORDER (DRINKORDER (NUMBER 2 ) (DRINKTYPE COKE ) (SIZE LARGE ) ) )",
        },
        {"dev.SRC": "a pizza with ham", "dev.EXR": "(ORDER (PIZZAORDER (NUMBER 1 ) (TOPPING BACON ) ) )"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out, report = tmp_path / "p.jsonl", tmp_path / "r.json"
    result = runner.invoke(
        app, ["bench", "pizza", "--data", str(data), "--out", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text())
    assert summary["total"] == 2 and summary["correct"] == 1
    assert len(out.read_text().splitlines()) == 2


def test_bench_pizza_refuses_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "pizza", "--data", str(tmp_path / "nope.json")])
    assert result.exit_code == 2


def test_bench_turns_prints_percentiles_and_writes_json(tmp_path: Path) -> None:
    report = tmp_path / "t.json"
    result = runner.invoke(
        app, ["bench", "turns", "--menu", "burger", "--count", "200", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "p99" in result.output
    assert json.loads(report.read_text())["turns"] == 200


def test_bench_pizza_hybrid_exits_cleanly(tmp_path: Path) -> None:
    """The hybrid loads the real SLM and asks it; the process then exits 0 (it used to abort with 134)."""
    import subprocess
    import sys

    data = tmp_path / "few.jsonl"
    rows = [
        {"src": "a large pizza with pepperoni", "exr": None},
        {"src": "a large pizza and can you nix the onions", "exr": None},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orderline.cli.app",
            "bench",
            "pizza",
            "--nlu",
            "hybrid",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "p.jsonl"),
            "--report",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == 2
    assert json.loads((tmp_path / "r.json").read_text())["cpu"]["cpu_model"]


def test_serve_and_keys_have_help() -> None:
    for args in (["serve", "--help"], ["keys", "create", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert "REDIS_URL" in runner.invoke(app, ["serve", "--help"]).output
