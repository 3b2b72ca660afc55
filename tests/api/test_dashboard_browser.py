"""The ops dashboard in a real headless browser (Debian chromium driven by Playwright): sign in, watch a text
session and a drive-thru lane update live, 86 an item and see the engine refuse it, take a lane over, edit its
order and hand it back, mark an order ready. A screenshot of each page goes to ``reports/``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_process import Server, open_session, say
from test_talk_page import CHROMIUM_ARGS, _chromium

from orderline.bench import voice as voice_bench
from orderline.clients.lane import LaneClient

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "reports"
PASSWORD = "window-shift-2026"
DONE = {"upsell": "no thanks", "readback": "yes", "taking_order": "that's all", "clarifying": "medium"}


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    server.create_user("burger", "dana", "manager", PASSWORD)
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1180, "height": 820})  # a tablet in landscape
            tab.set_default_timeout(60_000)
            tab.goto(f"{server.url}/dashboard")
            tab.fill("#name", "dana")
            tab.fill("#password", PASSWORD)
            tab.select_option("#store", "burger")
            tab.press("#password", "Enter")  # keyboard only
            tab.wait_for_url("**/dashboard/burger/live")
            yield tab
        finally:
            browser.close()


def _card(session: str) -> str:
    return f"#s-{session}"


def test_a_text_session_appears_and_updates_live(server: Server, page: Any) -> None:
    page.goto(f"{server.url}/dashboard/burger/live")
    page.wait_for_selector("body.connected")
    with server.client(server.demo_key("burger")) as api:
        session = open_session(api, "burger")
        page.wait_for_selector(_card(session))  # a new card, pushed by the event stream (no reload)
        say(api, session, "a cheeseburger with no onions")
        page.wait_for_selector(f"{_card(session)} tr[data-item=cheeseburger]")
        say(api, session, "and a flurble")
        page.wait_for_selector(f"{_card(session)} .alert:not(.silence)")
    text = page.text_content(_card(session)) or ""
    assert "no onions" in text and "Could not place" in text
    page.screenshot(path=str(SHOTS / "dashboard-live.png"), full_page=True)


def test_an_item_86d_in_the_browser_is_refused_on_the_next_turn(server: Server, page: Any) -> None:
    page.goto(f"{server.url}/dashboard/burger/availability")
    page.click("#a-onion_rings button")
    page.wait_for_selector("#a-onion_rings.off")
    page.screenshot(path=str(SHOTS / "dashboard-availability.png"), full_page=True)
    try:
        with server.client(server.demo_key("burger")) as api:
            session = open_session(api, "burger")
            turn = say(api, session, "a medium onion rings")
            order = api.get(f"/v1/sessions/{session}").json()["order"]
    finally:
        page.click("#a-onion_rings button")  # back on for the other tests
        page.wait_for_selector("#a-onion_rings:not(.off)")
    assert not [line for line in order["lines"] if line["item"] == "onion_rings"]
    assert "onion rings" in str(turn["reply"]).lower()


def test_crew_takes_a_lane_over_edits_its_order_and_hands_it_back(
    server: Server, page: Any, tmp_path: Path
) -> None:
    speaker = voice_bench.customer_speaker(tmp_path / "voices")
    audio = speaker.say("a hamburger please")
    url = server.url.replace("http", "ws") + "/v1/stores/burger/lanes/2/stream"
    spoke = threading.Event()
    seen: dict[str, Any] = {}

    async def lane_main() -> None:
        async with LaneClient(url, server.demo_key("burger")) as lane:
            seen["session"] = lane.session_id
            await lane.turn(audio, "a hamburger please")
            spoke.set()
            seen["takeover"] = await lane.wait_for("takeover", timeout_s=180)
            seen["handback"] = await lane.wait_for("handback", timeout_s=180)

    thread = threading.Thread(target=lambda: asyncio.run(lane_main()), daemon=True)
    page.goto(f"{server.url}/dashboard/burger/live")
    page.wait_for_selector("body.connected")
    thread.start()
    assert spoke.wait(180), "the lane never got its reply"
    card = _card(seen["session"])
    page.wait_for_selector(f"{card} tr[data-item=hamburger]")  # the lane's turn, live
    page.click(f"{card} button.takeover")
    page.wait_for_selector(f"{card}.held")
    page.select_option(f"{card} select.add-item", "fries")
    page.select_option(f"{card} select.add-size", "large")
    page.click(f"{card} form.add button")
    page.wait_for_selector(f"{card} tr[data-item=fries]")
    page.screenshot(path=str(SHOTS / "dashboard-takeover.png"), full_page=True)
    page.click(f"{card} button.handback")
    page.wait_for_selector(f"{card}:not(.held)")
    thread.join(60)
    assert seen.get("takeover", {}).get("by") == "dana" and seen.get("handback")
    with server.client(server.demo_key("burger")) as api:
        record = api.get(f"/v1/sessions/{seen['session']}").json()
    fries = next(line for line in record["order"]["lines"] if line["item"] == "fries")
    assert fries["provenance"][0] == {**fries["provenance"][0], "source": "crew", "name": "dana"}
    assert record["held_by"] is None


def test_a_submitted_order_is_marked_ready_and_shows_its_transcript(server: Server, page: Any) -> None:
    with server.client(server.demo_key("burger")) as api:
        session = open_session(api, "burger")
        turn = say(api, session, "a cheeseburger with no pickles and a large coke")
        for _ in range(5):
            if turn["state"] == "submitted":
                break
            turn = say(api, session, DONE.get(str(turn["state"]), "that's all"))
        assert turn["state"] == "submitted", turn
        order_id = api.get(f"/v1/sessions/{session}").json()["order"]["order_id"]
    page.goto(f"{server.url}/dashboard/burger/orders")
    ticket = f"#queue #o-{order_id}"
    page.wait_for_selector(ticket)
    page.screenshot(path=str(SHOTS / "dashboard-orders.png"), full_page=True)
    page.click(f"{ticket} button.ready")
    page.wait_for_selector(f"#queue .done #o-{order_id}")
    page.goto(f"{server.url}/dashboard/burger/orders/{order_id}")
    page.wait_for_selector("#transcript")
    detail = page.text_content("main") or ""
    page.screenshot(path=str(SHOTS / "dashboard-order.png"), full_page=True)
    assert (
        "no pickles" in detail
        and "rule tier1" in detail.replace("model", "rule")
        and "ready (dana)" in detail
    )
    assert "a cheeseburger with no pickles" in detail


def test_the_metrics_page_draws_its_charts(server: Server, page: Any) -> None:
    page.goto(f"{server.url}/dashboard/burger/metrics")
    assert page.locator("svg.chart").count() >= 5
    page.screenshot(path=str(SHOTS / "dashboard-metrics.png"), full_page=True)
