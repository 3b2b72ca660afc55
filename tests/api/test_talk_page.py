"""The /talk page in a real headless browser (Debian chromium driven by Playwright): a WAV order played as the
microphone reaches the lane socket, and the order appears on the page with its modifiers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from server_process import Server

from orderline.audio.wav import write_wav
from orderline.bench import voice as voice_bench

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Debian chromium is not installed (make test installs it with apt)")
    return path


def test_an_order_spoken_into_the_browser_shows_up_with_its_modifiers(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    speech = voice_bench.customer_speaker(tmp_path / "voices").say("a cheeseburger with no onions")
    order = tmp_path / "ORDER.wav"
    quiet = np.zeros(16000 * 4, dtype=np.float32)  # the greeting plays first
    write_wav(order, np.concatenate([quiet, speech, np.zeros(16000 * 20, dtype=np.float32)]), 16000)
    shots = ROOT / "reports"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(),
            headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={order}%noloop"],
        )
        try:
            page = browser.new_page()
            page.goto(f"{server.url}/talk?store=burger#key={server.demo_key('burger')}")
            page.click("#start")
            page.wait_for_selector("td[data-item=cheeseburger]", timeout=90_000)
            page.wait_for_timeout(500)
            lines = page.text_content("#lines") or ""
            log = page.text_content("#log") or ""
            page.screenshot(path=str(shots / "talk.png"), full_page=True)
        finally:
            browser.close()
    assert "no onions" in lines
    assert "Welcome to Burger Barn" in log and "cheeseburger" in log.lower()


def test_the_page_loads_only_local_assets(server: Server) -> None:
    import httpx

    page = httpx.get(server.url + "/talk").text
    assert "http://" not in page and "https://" not in page
    for asset in ("/static/talk.js", "/static/talk.css", "/static/capture-worklet.js"):
        response = httpx.get(server.url + asset)
        assert response.status_code == 200 and "http" not in response.text.replace(
            "location.protocol === 'https:'", ""
        )
