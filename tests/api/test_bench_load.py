"""``orderline bench load`` at the smallest size against the real server: a phone caller and a lane at once,
one level; every order the server submitted is found on the stream exactly once and matched to its
conversation, and the report and plot are written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_process import Server, server_env
from typer.testing import CliRunner

from orderline.cli.app import app

TOKEN = "load-test-auth-token-0123456789"


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("load")
    env = server_env(data, ORDERLINE_NLU="rules", ORDERLINE_DEMO_TWILIO_TOKEN=TOKEN)
    running = Server(data, env).start()
    yield running
    running.stop()


def test_one_call_and_one_lane_confirm_orders_that_land_once(load_server: Server, tmp_path: Path) -> None:
    assert load_server.proc is not None
    report = tmp_path / "load.json"
    args = ["bench", "load", "--calls", "1", "--lanes", "1", "--steps", "2", "--duration", "3"]
    args += ["--url", load_server.url, "--server-pid", str(load_server.proc.pid), "--auth-token", TOKEN]
    args += ["--lane-store", "burger", "--report", str(report)]
    args += ["--cache", str(tmp_path / "voices")]
    result = CliRunner().invoke(app, args, env={"ORDERLINE_DATA_DIR": str(load_server.data_dir)})
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == f"report: {report}"

    body = json.loads(report.read_text())
    assert body["cpu"]["cpu_model"] and body["server_pid_known"]
    (level,) = body["levels"]
    assert (level["calls"], level["lanes"], level["sessions"]) == (1, 1, 2)
    assert level["turns_measured"] > 0 and level["errors"] == 0 and level["shed"] == 0
    fa = level["first_audio_ms"]
    assert 0 < fa["p50"] <= fa["p95"] <= fa["p99"] <= fa["max"]
    orders = level["orders"]
    # every order the server submitted is on the stream once, and each matches a simulated conversation:
    # the lane by its session id (a lane that saw "submitted"), the call by count and lines
    assert orders["server_submitted"] == orders["on_stream"] == orders["found_once"] >= 1
    assert orders["lost"] == 0 and orders["duplicated"] == 0 and orders["unexpected"] == 0
    assert orders["expected"] == orders["found_once"] + orders["phone_without_order"]
    assert orders["lanes_not_confirmed"] + orders["expected"] == 2  # one lane and one call, each ended
    assert level["server"]["cpu_percent_mean"] > 0 and level["server"]["rss_mb_max"] > 0
    assert body["knee"] == "not reached" or body["knee"]["sessions"] == 2
    png = report.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
