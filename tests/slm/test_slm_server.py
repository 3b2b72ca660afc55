"""The vLLM client against a real ``orderline serve-slm`` process: answers, deadlines, outages.

Acceptance: with the SLM server answering after 5 s, or stopped, every turn still gets an answer
(a clarifying question) within the chain's deadline, long before the server would have answered.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orderline.dialog.session import TextSession
from orderline.engine.slm import SlmBackends, SlmOptions
from orderline.menu.schema import Menu
from orderline.nlu.dsl import CallContext, grammar
from orderline.nlu.hybrid import HybridUnderstander
from orderline.nlu.prompt import build_prompt
from orderline.slm.base import SlmRequest, SlmUnavailableError
from orderline.slm.vllm import VllmBackend

ROOT = Path(__file__).resolve().parents[2]
SLOW_S = 5.0
MESSY = "a cheeseburger but skimp on the mayonnaise and ditch them pickels"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "orderline.cli.app",
        "serve-slm",
        "--port",
        str(port),
        "--drills",
        "--threads",
        "1",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "serve-slm exited")
        time.sleep(0.1)
    yield url, proc
    proc.terminate()
    proc.wait(timeout=10)


def _session(burger: Menu, url: str) -> TextSession:
    chain = SlmBackends.build(SlmOptions(backend="vllm", url=url, step_timeout_s=0.8, deadline_s=1.5)).chain()
    return TextSession.start(burger, HybridUnderstander(burger, chain))


def test_client_gets_a_constrained_answer(burger: Menu, server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = server
    item = burger.item("cheeseburger")
    assert item is not None
    ctx = CallContext.for_items(burger, [item])
    backend = VllmBackend(url, model="orderline-smollm2-lora")
    prompt = build_prompt(burger, "no onions", item=item).render()
    result = asyncio.run(backend.complete(SlmRequest(prompt=prompt, grammar=grammar(ctx), timeout_s=30)))
    assert grammar(ctx).accepts(result.text)
    assert result.model == "orderline-smollm2-lora"
    models = httpx.get(url + "/v1/models").json()["data"]
    assert {m["id"] for m in models} == {"orderline-smollm2-lora", "base"}


def test_server_rejects_bad_requests(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = server
    no_grammar = httpx.post(url + "/v1/completions", json={"model": "base", "prompt": "hi"})
    assert no_grammar.status_code == 400
    unknown = httpx.post(url + "/v1/completions", json={"model": "nope", "prompt": "hi", "guided_regex": "a"})
    assert unknown.status_code == 404
    huge = httpx.post(
        url + "/v1/completions", json={"model": "base", "prompt": "x" * 10_000, "guided_regex": "a"}
    )
    assert huge.status_code == 422


def test_a_slow_server_still_gets_every_turn_an_answer(
    burger: Menu, server: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, _ = server
    httpx.post(url + "/drill", json={"delay_ms": int(SLOW_S * 1000)})
    try:
        session = _session(burger, url)
        started = time.monotonic()
        turn = asyncio.run(session.say(MESSY))
        elapsed = time.monotonic() - started
    finally:
        httpx.post(url + "/drill", json={"delay_ms": 0})
    assert elapsed < SLOW_S  # the deadline cut the call: the server had not answered yet
    assert turn.reply
    calls = turn.understanding.calls
    assert calls and not any(c.ok for c in calls)
    assert any("Timeout" in a or "deadline" in a for c in calls for a in c.attempts)


def test_a_stopped_server_still_gets_every_turn_an_answer(
    burger: Menu, server: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, proc = server
    proc.terminate()
    proc.wait(timeout=10)
    session = _session(burger, url)
    turn = asyncio.run(session.say(MESSY))
    assert turn.reply
    calls = turn.understanding.calls
    assert calls and not any(c.ok for c in calls)
    assert any("Unavailable" in a for c in calls for a in c.attempts)
    # the breaker opens after repeated failures: later calls fail fast without touching the network
    backend = VllmBackend(url, model="orderline-smollm2-lora", retries=0)
    item = burger.item("cheeseburger")
    assert item is not None
    ctx = CallContext.for_items(burger, [item])
    request = SlmRequest(prompt="x", grammar=grammar(ctx), timeout_s=1)
    for _ in range(3):
        with pytest.raises(SlmUnavailableError):
            asyncio.run(backend.complete(request))
    assert not backend.breaker.allow()
