"""The dashboard's parts without a server: signed cookies, CSRF tokens, alerts, charts and the metrics page."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from orderline.api.dashboard import login, metrics_view, views
from orderline.api.dashboard.charts import bars
from orderline.core.events import ClarificationNeeded, HandedOff, ModifierUnplaced
from orderline.dialog.record import ConversationRecord, TurnRecord
from orderline.order.machine import new_order
from orderline.order.state import DialogState
from orderline.storage.base import TurnStat
from orderline.storage.keys import Role

SECRET = "test-secret"


def test_a_signed_cookie_round_trips_and_a_forged_or_expired_one_does_not() -> None:
    user = login.new_session("mia", "burger", Role.MANAGER)
    cookie = login.sign(SECRET, user)
    assert login.unsign(SECRET, cookie) == user
    assert login.unsign("another-secret", cookie) is None
    _body, mac = cookie.rsplit(".", 1)
    tampered = login.sign(SECRET, login.DashUser("mia", "pizza", Role.MANAGER, user.nonce, user.expires))
    assert login.unsign(SECRET, tampered.rsplit(".", 1)[0] + "." + mac) is None
    assert login.unsign(SECRET, cookie, now=user.expires + 1) is None
    for junk in ("", "x", "a.b", "....", None):
        assert login.unsign(SECRET, junk) is None


def test_csrf_tokens_belong_to_one_sign_in() -> None:
    a, b = login.new_session("mia", "burger", Role.CREW), login.new_session("mia", "burger", Role.CREW)
    login.check_csrf(SECRET, a, login.csrf_token(SECRET, a))
    for token in (None, "", login.csrf_token(SECRET, b)):
        with pytest.raises(login.CsrfError):
            login.check_csrf(SECRET, a, token)


def _turn(n: int, *events: object, text: str = "x") -> TurnRecord:
    return TurnRecord(
        n=n, at=datetime.now(UTC), text=text, reply="r", state=DialogState.TAKING_ORDER, events=events
    )  # type: ignore[arg-type]


def _record(*turns: TurnRecord, idle_s: float = 0.0) -> ConversationRecord:
    return ConversationRecord(
        session_id="s" * 32,
        store="burger",
        menu_id="m",
        menu_fingerprint="f" * 16,
        order=new_order("o1"),
        turns=turns,
        updated_at=datetime.now(UTC) - timedelta(seconds=idle_s),
    )


def test_alerts_say_why_a_person_may_be_needed() -> None:
    ask = ClarificationNeeded(line=1, choice="size", target="fries", options=("small", "large"))
    assert views.alerts(_record(_turn(1))) == ()
    assert "Asked the same question again" in views.alerts(_record(_turn(1, ask), _turn(2, ask)))
    assert "Asked for a person" in views.alerts(_record(_turn(1, HandedOff(reason="asked"))))
    unplaced = views.alerts(_record(_turn(1, ModifierUnplaced(words="no onions"))))
    assert any("no onions" in a for a in unplaced)
    assert any(a.startswith("Silent for") for a in views.alerts(_record(_turn(1), idle_s=60)))


def test_charts_are_well_formed_svg() -> None:
    svg = bars("Latency <p95>", ["a", "b"], {"p50": [1.0, 2.0], "p95": [3.0, 0.0]}, " ms")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and len(root.findall(".//{*}rect")) >= 4
    ET.fromstring(bars("empty", [], {"x": []}))


def test_the_metrics_page_aggregates_the_last_hour() -> None:
    now = time.time()
    stats = [
        TurnStat(at=now - 10, channel="lane", total_ms=50, first_audio_ms=700, asr_ms=300, slm_calls=1),
        TurnStat(at=now - 20, channel="lane", total_ms=50, first_audio_ms=900, slm_calls=1, slm_fallbacks=1),
        TurnStat(at=now - 30, channel="text", total_ms=20, clarify=True),
        TurnStat(at=now - 7200, channel="lane", total_ms=50, first_audio_ms=5000),  # older than an hour
    ]
    built = metrics_view.build(stats, [], now)
    summary = built["summary"]
    assert summary.turns == 3 and summary.voice_turns == 2
    assert summary.first_audio_p95 == 900 and summary.fallback_rate == 0.5
    assert summary.clarify_rate == pytest.approx(0.333, abs=0.001)
    assert len(built["charts"]) == 5
