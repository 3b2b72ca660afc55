"""The ops dashboard over HTTP against the real server: sign-in with roles per store, CSRF on every
state-changing form, one store's cookie never opens another's, and the pages render what the engine did."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import httpx
import pytest
from server_process import Server, open_session, say

PASSWORD = "window-shift-2026"


@pytest.fixture(scope="module")
def users(server: Server) -> Iterator[None]:
    server.create_user("burger", "mia", "manager", PASSWORD)
    server.create_user("burger", "cole", "crew", PASSWORD)
    server.create_user("pizza", "pat", "manager", PASSWORD)
    yield


def _browser(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, follow_redirects=False)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@contextlib.contextmanager
def sign_in(server: Server, store: str, name: str) -> Iterator[httpx.Client]:
    with _browser(server) as client:
        yield _signed_in(client, store, name)


def _signed_in(client: httpx.Client, store: str, name: str) -> httpx.Client:
    form = client.get("/dashboard/login", params={"store": store})
    response = client.post(
        "/dashboard/login",
        data={"store": store, "name": name, "password": PASSWORD, "csrf": _csrf(form.text)},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/dashboard/{store}/live"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    return client


def test_pages_need_a_sign_in(server: Server) -> None:
    with _browser(server) as client:
        response = client.get("/dashboard/burger/live")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dashboard/login?store=burger")
        client.cookies.set("ol_dash", "eyJ1IjoibWlhIn0.forged", path="/dashboard")
        assert client.get("/dashboard/burger/orders").status_code == 303


def test_a_wrong_password_and_a_login_without_its_token_are_refused(server: Server, users: None) -> None:
    with _browser(server) as client:
        form = client.get("/dashboard/login", params={"store": "burger"})
        wrong = client.post(
            "/dashboard/login",
            data={"store": "burger", "name": "mia", "password": "nope-nope", "csrf": _csrf(form.text)},
        )
        assert wrong.status_code == 303 and "error=" in wrong.headers["location"]
        tokenless = client.post(
            "/dashboard/login", data={"store": "burger", "name": "mia", "password": PASSWORD}
        )
        assert tokenless.status_code == 403


def test_a_cookie_from_one_store_does_not_open_another(server: Server, users: None) -> None:
    with sign_in(server, "burger", "mia") as client:
        assert client.get("/dashboard/burger/live").status_code == 200
        other = client.get("/dashboard/pizza/live")
        assert other.status_code == 403 and "burger" in other.text
        assert client.get("/dashboard/pizza/orders").status_code == 403


def test_a_state_changing_request_without_the_csrf_token_is_refused(server: Server, users: None) -> None:
    with sign_in(server, "burger", "mia") as client:
        refused = client.post(
            "/dashboard/burger/availability", data={"target": "onion_rings", "action": "off"}
        )
        assert refused.status_code == 403
        forged = client.post(
            "/dashboard/burger/availability",
            data={"target": "onion_rings", "action": "off", "csrf": "x" * 40},
        )
        assert forged.status_code == 403
    with server.client(server.demo_key("burger")) as api:
        assert "onion_rings" not in api.get("/v1/stores/burger/menu").json()["unavailable"]


def test_a_crew_sign_in_cannot_change_availability(server: Server, users: None) -> None:
    with sign_in(server, "burger", "cole") as client:
        page = client.get("/dashboard/burger/availability")
        assert page.status_code == 200 and "Only a manager" in page.text
        refused = client.post(
            "/dashboard/burger/availability",
            data={"target": "onion_rings", "action": "off", "csrf": _csrf(page.text)},
        )
        assert refused.status_code == 403
        assert client.get("/dashboard/burger/orders").status_code == 200  # the crew still sees the queue


def test_the_live_view_shows_a_text_session_with_its_order_and_alerts(server: Server, users: None) -> None:
    with server.client(server.demo_key("burger")) as api:
        session = open_session(api, "burger")
        say(api, session, "a cheeseburger with no onions and a flurble")
    with sign_in(server, "burger", "cole") as client:
        page = client.get("/dashboard/burger/live")
        assert page.status_code == 200
        card = page.text[page.text.index(f'id="s-{session}"') :]
        assert 'data-item="cheeseburger"' in card and "no onions" in card
        assert "a cheeseburger with no onions" in card
        fragment = client.get(f"/dashboard/burger/live/{session}")
        assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<article")


def test_a_held_session_refuses_text_turns_until_handed_back(server: Server, users: None) -> None:
    with server.client(server.demo_key("burger")) as api:
        session = open_session(api, "burger")
        say(api, session, "a hamburger")
        with sign_in(server, "burger", "cole") as client:
            csrf = _csrf(client.get("/dashboard/burger/live").text)
            held = client.post(f"/dashboard/burger/sessions/{session}/takeover", data={"csrf": csrf})
            assert held.status_code == 303
            refused = api.post(f"/v1/sessions/{session}/turns", json={"text": "and a coke"})
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "session_held"
            added = client.post(
                f"/dashboard/burger/sessions/{session}/add",
                data={"item": "fries", "size": "large", "quantity": "2", "csrf": csrf},
            )
            assert added.status_code == 303
            record = api.get(f"/v1/sessions/{session}").json()
            fries = [line for line in record["order"]["lines"] if line["item"] == "fries"]
            assert fries and fries[0]["quantity"] == 2
            assert (
                fries[0]["provenance"][0]["source"] == "crew" and fries[0]["provenance"][0]["name"] == "cole"
            )
            client.post(f"/dashboard/burger/sessions/{session}/handback", data={"csrf": csrf})
        assert api.post(f"/v1/sessions/{session}/turns", json={"text": "and a coke"}).status_code == 200


def test_sign_out_ends_the_session(server: Server, users: None) -> None:
    with sign_in(server, "burger", "cole") as client:
        csrf = _csrf(client.get("/dashboard/burger/live").text)
        assert client.post("/dashboard/logout", data={"csrf": csrf}).status_code == 303
        assert client.get("/dashboard/burger/live").status_code == 303
