"""A full text conversation per menu through the real server ends in exactly one entry on the store's order
stream; 86 reaches open sessions; retried and replayed turns add nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_process import Server, open_session, say

from orderline.dialog.scripts import Conversation, load_script

ROOT = Path(__file__).resolve().parents[2]


def _scripted(menu: str) -> Conversation:
    """The first scripted conversation of the menu that submits an order with a modifier."""
    script = load_script(ROOT / "tests" / "conversations" / f"{menu}.yaml")
    return next(
        c
        for c in script.conversations
        if c.expect.state is not None
        and c.expect.state.value == "submitted"
        and any(line.modifiers for line in c.expect.lines or [])
    )


def _orders_with(server: Server, store: str, order_id: str) -> list[dict[str, object]]:
    with server.client(server.demo_key(store)) as crew:
        response = crew.get(f"/v1/stores/{store}/orders", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [o for o in response.json()["orders"] if o["order_id"] == order_id]


@pytest.mark.parametrize("store", ["burger", "pizza", "coffee"])
def test_a_conversation_ends_in_exactly_one_order_on_the_stream(server: Server, store: str) -> None:
    conversation = _scripted(store)
    with server.client(server.demo_key(store)) as client:
        body = {"daypart": conversation.daypart} if conversation.daypart else {}
        session = open_session(client, store, **body)
        result: dict[str, object] = {}
        for text in conversation.turns:
            result = say(client, session, text)
    assert result["state"] == "submitted"
    order = result["order"]
    assert isinstance(order, dict)
    expected = conversation.expect.lines or []
    assert [(line["item"], line["quantity"]) for line in order["lines"]] == [
        (e.item, e.quantity) for e in expected
    ]
    for got, want in zip(order["lines"], expected, strict=True):
        if want.modifiers is not None:
            assert sorted(m["code"] for m in got["modifiers"]) == sorted(want.modifiers)
        if want.size is not None:
            assert got["size"] == want.size
    assert order["total_cents"] > 0 and order["total"].startswith("$")
    submitted = result["submitted"]
    assert isinstance(submitted, dict) and submitted["duplicate"] is False
    entries = _orders_with(server, store, order["order_id"])
    assert len(entries) == 1
    assert entries[0]["entry_id"] == submitted["entry_id"]
    assert entries[0]["ticket"]["total_cents"] == order["total_cents"]


def test_every_change_carries_its_provenance(server: Server) -> None:
    with server.client(server.demo_key("burger")) as client:
        session = open_session(client, "burger")
        result = say(client, session, "two cheeseburgers with no onions")
    turn = result["turn"]
    assert isinstance(turn, dict)
    add = next(c for c in turn["commands"] if c["kind"] == "add")
    assert add["detail"]["item"] == "cheeseburger"
    assert add["provenance"]["source"] == "rule" and add["provenance"]["name"] == "tier1"
    assert 0 < add["provenance"]["confidence"] <= 1
    line = result["order"]["lines"][0]  # type: ignore[index]
    assert line["provenance"] and line["provenance"][0]["source"] == "rule"
    assert set(turn["timings"]) >= {"nlu_ms", "order_ms", "reply_ms", "total_ms"}
    logged = [line for line in server.log_tail(200_000).splitlines() if session in line and '"turn"' in line]
    assert logged and '"store": "burger"' in logged[-1]  # structured logs carry store, session and turn


def test_replayed_and_retried_submit_turns_add_nothing(server: Server) -> None:
    with server.client(server.demo_key("burger")) as client:
        session = open_session(client, "burger")
        say(client, session, "a bacon cheeseburger and a medium sprite")
        say(client, session, "that's it")
        first = say(client, session, "yes", **{"Idempotency-Key": "turn-3"})
        retried = say(client, session, "yes", **{"Idempotency-Key": "turn-3"})
        replayed = say(client, session, "yes")
    assert first["state"] == "submitted" and first["submitted"] is not None
    assert retried["replayed"] is True and retried["reply"] == first["reply"]
    assert replayed["submitted"] is None  # the order is closed: nothing to submit again
    order_id = first["order"]["order_id"]  # type: ignore[index]
    assert len(_orders_with(server, "burger", order_id)) == 1


def test_an_86_reaches_the_next_turn_of_an_open_session(server: Server) -> None:
    manager = server.client(server.demo_key("coffee"))
    session = open_session(manager, "coffee")
    first = say(manager, session, "a small latte")
    assert first["order"]["lines"]  # type: ignore[index]
    try:
        marked = manager.put("/v1/stores/coffee/availability", json={"unavailable": ["blueberry_muffin"]})
        assert marked.status_code == 200, marked.text
        assert "blueberry_muffin" in marked.json()["unavailable"]
        refused = say(manager, session, "and a blueberry muffin")
        assert [line["item"] for line in refused["order"]["lines"]] == ["latte"]  # type: ignore[index]
        assert any(e.get("reason") == "unavailable" for e in refused["turn"]["events"])  # type: ignore[index]
        menu = manager.get("/v1/stores/coffee/menu").json()
        assert "blueberry_muffin" in menu["unavailable"]
    finally:
        manager.put("/v1/stores/coffee/availability", json={"available": ["blueberry_muffin"]})
        manager.close()


def test_a_session_is_read_back_with_its_turns(server: Server) -> None:
    with server.client(server.demo_key("pizza")) as client:
        session = open_session(client, "pizza")
        say(client, session, "a large pepperoni pizza")
        body = client.get(f"/v1/sessions/{session}").json()
    assert body["store"] == "pizza" and body["turn_count"] == 1
    assert body["turns"][0]["text"] == "a large pepperoni pizza"
    assert body["order"]["lines"][0]["item"] == "pizza"
