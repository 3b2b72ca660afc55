"""``orderline bench load``: many simulated customers at once against a running server, stepped up in levels.

Phone callers (Twilio Media Streams, :mod:`orderline.clients.phone`) and drive-thru lanes
(:mod:`orderline.clients.lane`) speak synthesized orders in real time with a seeded think time between turns;
every conversation ends by confirming its order. Per level: end of customer speech -> first reply audio at the
client (p50/p95/p99/max), refusals (a shed session: ``worker_full``, 503, close 1013) apart from errors, the
server process's CPU and memory per session, and whether each confirmed order reached the store's stream
exactly once with the lines that were spoken (the text-only tier-1 run of the same words is the reference).
The **knee** is the lowest load whose p95 passes :data:`KNEE_MS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import psutil  # type: ignore[import-untyped]
import websockets

from orderline.bench.voice import LATENCY_TURNS
from orderline.clients.lane import LaneClient
from orderline.clients.phone import PhoneCall, answer_call
from orderline.clients.timing import ClientTurn, Float32Array, percentile
from orderline.dialog.session import TextSession
from orderline.engine.assets import menus_dir
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher
from orderline.order.state import TERMINAL_STATES, DialogState
from orderline.order.ticket import ticket
from orderline.transports import lane as lane_wire

KNEE_MS = 1200.0
"""The knee: p95 end of speech -> first reply audio above this is where a caller notices the wait."""
NO_THANKS = "no thanks"
YES = "yes"
MAX_ITEMS = 2
"""Items per simulated order (1..MAX_ITEMS), drawn from the store's latency turns."""
PHONE_QUIET_S = 2.5
"""A phone caller takes the reply as finished after this long without reply audio. The phone carries no
end-of-reply event, and under load the gap before a reply's next sentence passed the client's 1.5 s default
(a caller then said "yes" over the readback's question and the order was never confirmed)."""
GRACE_S = 120.0
"""A level stops starting conversations at its duration and cancels what is still open this much later."""

LineKey = tuple[str, str | None, int, tuple[str, ...], tuple[str | None, ...]]


def line_key(line: Mapping[str, Any]) -> LineKey:
    """What makes two ticket lines the same order line (a ticket as JSON): item, size, count, options."""
    mods = tuple(sorted(str(m["code"]) for m in line.get("modifiers", ())))
    slots = tuple(s.get("item") for s in line.get("slots", ()))
    return str(line["item"]), line.get("size"), int(line["quantity"]), mods, slots


def ticket_keys(lines: Sequence[Mapping[str, Any]]) -> tuple[LineKey, ...]:
    return tuple(sorted(line_key(line) for line in lines))


@dataclass(frozen=True)
class Level:
    """Concurrent phone calls and lanes held for one level."""

    calls: int
    lanes: int

    @property
    def sessions(self) -> int:
        return self.calls + self.lanes


def plan_levels(calls: int, lanes: int, steps: Sequence[int] | None = None) -> list[Level]:
    """Levels of concurrent sessions: ``steps`` (totals) or 1, 2, 4, ... up to ``calls + lanes``; each total
    is split between calls and lanes in the final proportion."""
    total = calls + lanes
    if total <= 0:
        raise ValueError("nothing to run: give --calls or --lanes")
    if steps:
        totals = sorted({min(total, max(1, s)) for s in steps})
    else:
        totals, t = [], 1
        while t < total:
            totals.append(t)
            t *= 2
        totals.append(total)
    levels = []
    for t in totals:
        n_lanes = min(lanes, round(t * lanes / total))
        n_calls = min(calls, t - n_lanes)
        levels.append(Level(n_calls, t - n_calls))
    return levels


@dataclass(frozen=True)
class Script:
    """One simulated order: the words in order, and the lines the text-only reference ends with."""

    store: str
    items: tuple[str, ...]
    closing: tuple[str, ...]
    expected: tuple[LineKey, ...]

    @property
    def said(self) -> tuple[str, ...]:
        return self.items + self.closing


class ScriptBook:
    """Orders drawn per store from :data:`LATENCY_TURNS`, each checked end to end on the tier-1 text path so
    that a script is known to reach ``submitted`` (a draw that does not is skipped)."""

    def __init__(self, stores: Sequence[str]) -> None:
        unknown = [s for s in stores if s not in LATENCY_TURNS]
        if unknown:
            raise ValueError(f"no spoken orders for store {unknown[0]!r} (known: {', '.join(LATENCY_TURNS)})")
        self.stores = tuple(dict.fromkeys(stores))
        self._menus: dict[str, tuple[Menu, RuleMatcher]] = {}
        self._scripts: dict[tuple[str, tuple[str, ...]], Script | None] = {}
        for store in self.stores:
            menu = load_menu(menus_dir() / f"{store}.yaml")
            self._menus[store] = (menu, RuleMatcher(menu))

    def texts(self) -> list[str]:
        """Everything a simulated customer may say (synthesize these before the clock starts)."""
        words = {t for s in self.stores for t in LATENCY_TURNS[s]}
        return sorted(words | {NO_THANKS, YES})

    async def draw(self, store: str, rng: random.Random) -> Script:
        *items, closing = LATENCY_TURNS[store]
        for _ in range(20):
            chosen = tuple(rng.sample(items, rng.randint(1, MAX_ITEMS)))
            key = (store, chosen)
            if key not in self._scripts:
                self._scripts[key] = await self._reference(store, chosen, closing)
            script = self._scripts[key]
            if script is not None:
                return script
        raise RuntimeError(f"no order for {store!r} reaches submitted on the text path")

    async def _reference(self, store: str, items: tuple[str, ...], closing: str) -> Script | None:
        menu, matcher = self._menus[store]
        session = TextSession.start(menu, matcher)
        for text in items:
            await session.say(text)
        said = [closing]
        turn = await session.say(closing)
        for _ in range(3):
            state = turn.order.state
            if state == DialogState.SUBMITTED:
                lines = ticket(turn.order, menu).model_dump(mode="json")["lines"]
                return Script(store, items, tuple(said), ticket_keys(lines))
            if state == DialogState.UPSELL:
                said.append(NO_THANKS)
            elif state == DialogState.READBACK:
                said.append(YES)
            else:
                return None
            turn = await session.say(said[-1])
        return None


@dataclass
class Conversation:
    """One simulated customer, as the client saw it."""

    channel: str
    store: str
    script: Script
    session_id: str | None = None
    turns: list[ClientTurn] = field(default_factory=list)
    state: str = ""
    """The last dialog state the lane saw (the phone carries no events: empty)."""
    outcome: str = "open"
    """done, shed (refused with a clear signal), error, or cut (still open when the level ended)."""
    error: str = ""

    def unanswered(self) -> dict[str, Any]:
        """The turns that got no reply audio (with the session, to find them in the server's log)."""
        missing = [n for n, t in enumerate(self.turns, 1) if t.first_audio_ms is None]
        said = [t.said for t in self.turns]
        return {"channel": self.channel, "session": self.session_id, "turns": missing, "said": said}

    @property
    def confirmed(self) -> bool:
        """The order should be on the stream: a lane that saw ``submitted``, a phone call that finished."""
        if self.outcome != "done":
            return False
        return self.channel == "phone" or self.state == DialogState.SUBMITTED


@dataclass(frozen=True)
class Target:
    """The server under load and how to reach it."""

    base_url: str
    keys: Mapping[str, str]
    """API key per store (lanes; a crew or manager key also reads the orders)."""
    lane_stores: tuple[str, ...]
    phone_store: str
    auth_token: str | None
    think_s: tuple[float, float] = (1.0, 3.0)
    reply_timeout_s: float = 30.0

    @property
    def webhook(self) -> str:
        return f"{self.base_url}/v1/phone/twilio/voice?store={self.phone_store}"

    def lane_url(self, store: str, lane: str) -> str:
        return self.base_url.replace("http", "ws", 1) + f"/v1/stores/{store}/lanes/{lane}/stream"


def _shed(exc: BaseException, closed: tuple[int, str] | None = None) -> bool:
    """A refusal with a clear signal (the worker is full), not a crash."""
    if closed is not None and closed[0] == lane_wire.CLOSE_TRY_LATER:
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in (429, 503)
    if isinstance(exc, websockets.InvalidStatus):
        return exc.response.status_code in (429, 503)
    if isinstance(exc, websockets.ConnectionClosed) and exc.rcvd is not None:
        return exc.rcvd.code == lane_wire.CLOSE_TRY_LATER
    return "worker_full" in str(exc)


async def _lane_conversation(
    target: Target, conv: Conversation, lane: str, audio: Mapping[str, Float32Array], rng: random.Random
) -> None:
    url = target.lane_url(conv.store, lane)
    async with LaneClient(url, target.keys[conv.store], reply_timeout_s=target.reply_timeout_s) as client:
        conv.session_id = client.session_id
        pending = list(conv.script.items + conv.script.closing[:1])
        closing = conv.script.closing[0]
        extra = 0
        while pending:
            if conv.turns:
                await asyncio.sleep(rng.uniform(*target.think_s))
            text = pending.pop(0)
            turn = await client.turn(audio[text], text)
            conv.turns.append(turn)
            conv.state = turn.state or conv.state
            if pending or conv.state in TERMINAL_STATES or extra >= 3:
                continue
            # past the items: answer the state the lane is in, as a customer would
            extra += 1
            if conv.state == DialogState.UPSELL:
                pending.append(NO_THANKS)
            elif conv.state == DialogState.READBACK:
                pending.append(YES)
            else:
                pending.append(closing)


async def _phone_conversation(
    target: Target, conv: Conversation, audio: Mapping[str, Float32Array], rng: random.Random
) -> None:
    if target.auth_token is None:
        raise RuntimeError("no Twilio auth token for the phone line")
    call_sid = "CA" + uuid.uuid4().hex
    url, params = await asyncio.to_thread(answer_call, target.webhook, target.auth_token, call_sid)
    async with PhoneCall(url, params, call_sid, reply_timeout_s=target.reply_timeout_s) as call:
        conv.session_id = call.stream_sid
        try:
            # a caller hears the greeting out before ordering; under load its first audio may come late
            deadline = time.monotonic() + target.reply_timeout_s
            while not any(m.get("event") == "media" for m in call.received) and time.monotonic() < deadline:
                await call.listen(0.2)
            await call.wait_until_played()
            for text in conv.script.said:
                if conv.turns:
                    await call.listen(rng.uniform(*target.think_s))  # Twilio streams silence meanwhile
                conv.turns.append(await call.turn(audio[text], text, quiet_after_s=PHONE_QUIET_S))
            await call.listen(1.0)
        except websockets.ConnectionClosed as exc:
            if call.closed_with is not None and _shed(exc, call.closed_with):
                raise RuntimeError(f"worker_full: closed {call.closed_with}") from exc
            raise


@dataclass
class LevelResult:
    level: Level
    conversations: list[Conversation] = field(default_factory=list)
    server: dict[str, Any] | None = None
    seconds: float = 0.0
    orders: dict[str, Any] = field(default_factory=dict)
    client_cpu_percent: float | None = None
    load_average: tuple[float, float, float] | None = None

    @property
    def first_audio_ms(self) -> list[float]:
        return [t.first_audio_ms for c in self.conversations for t in c.turns if t.first_audio_ms is not None]

    def summary(self) -> dict[str, Any]:
        ms = self.first_audio_ms
        turns = sum(len(c.turns) for c in self.conversations)
        outcomes = Counter(c.outcome for c in self.conversations)
        errors = [f"{c.channel}: {c.error}" for c in self.conversations if c.outcome == "error"]
        return {
            "calls": self.level.calls,
            "lanes": self.level.lanes,
            "sessions": self.level.sessions,
            "seconds": round(self.seconds, 1),
            "conversations": len(self.conversations),
            "turns": turns,
            "turns_measured": len(ms),
            "turns_without_reply_audio": turns - len(ms),
            "first_audio_ms": {
                "p50": round(percentile(ms, 0.5), 1),
                "p95": round(percentile(ms, 0.95), 1),
                "p99": round(percentile(ms, 0.99), 1),
                "max": round(max(ms, default=0.0), 1),
            },
            "shed": outcomes["shed"],
            "errors": outcomes["error"],
            "cut": outcomes["cut"],
            "error_samples": errors[:5],
            "unanswered": [c.unanswered() for c in self.conversations if c.unanswered()["turns"]][:10],
            "server": self.server,
            "client_cpu_percent_mean": self.client_cpu_percent,
            "load_average_1_5_15": list(self.load_average) if self.load_average else None,
            "orders": self.orders,
        }


class ServerProbe:
    """CPU and memory of the server process and its children (the embedded Redis), sampled once a second;
    every figure is None when the process is unknown or out of reach."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self._procs: dict[int, psutil.Process] = {}
        self._client = psutil.Process()  # this process: the simulated customers share the machine's cores
        self._client.cpu_percent(None)
        self.baseline_rss_mb: float | None = None
        sample = self._sample()  # also primes cpu_percent
        self.baseline_rss_mb = sample[1] if sample is not None else None

    def _sample(self) -> tuple[float, float] | None:
        if self.pid is None:
            return None
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return None
        cpu = rss = 0.0
        for proc in tree:
            known = self._procs.setdefault(proc.pid, proc)
            with contextlib.suppress(psutil.Error):
                cpu += known.cpu_percent(None)
                rss += known.memory_info().rss / 2**20
        return cpu, rss

    async def watch(self, stop: asyncio.Event, samples: list[tuple[float, float]]) -> None:
        self._sample()  # primes cpu_percent
        self._client.cpu_percent(None)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            sample = self._sample()
            if sample is not None:
                samples.append(sample)

    def client_cpu_percent(self) -> float:
        """This process's CPU since the last call (the load generator's own share of the cores)."""
        return round(float(self._client.cpu_percent(None)), 1)

    def summarize(self, samples: list[tuple[float, float]], sessions: int) -> dict[str, Any] | None:
        if not samples:
            return None
        cpu = [s[0] for s in samples]
        rss = [s[1] for s in samples]
        mean_cpu = sum(cpu) / len(cpu)
        base = self.baseline_rss_mb
        return {
            "pid": self.pid,
            "cpu_percent_mean": round(mean_cpu, 1),
            "cpu_percent_max": round(max(cpu), 1),
            "cpu_percent_per_session": round(mean_cpu / sessions, 1),
            "rss_mb_max": round(max(rss), 1),
            "rss_mb_idle": round(base, 1) if base is not None else None,
            "rss_mb_per_session": round((max(rss) - base) / sessions, 1) if base is not None else None,
        }


def find_server_pid(base_url: str) -> int | None:
    """The pid listening on the URL's port on this machine, best effort (None when unknown)."""
    parsed = urlparse(base_url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return int(conn.pid)
    except (psutil.Error, OSError):
        return None
    return None


async def run_level(
    target: Target,
    level: Level,
    duration_s: float,
    book: ScriptBook,
    audio: Mapping[str, Float32Array],
    probe: ServerProbe,
    seed: int,
    on_turns: Callable[[int], None] = lambda n: None,
) -> LevelResult:
    """Hold ``level`` for ``duration_s``: every slot starts conversations back to back until then; open ones
    finish (or are cut :data:`GRACE_S` later)."""
    result = LevelResult(level)
    started = time.monotonic()
    deadline = started + duration_s

    async def slot(channel: str, n: int) -> None:
        rng = random.Random(f"{seed}:{level.calls}:{level.lanes}:{channel}:{n}")
        await asyncio.sleep(rng.uniform(0, 2.0))  # customers do not all start at once
        k = 0
        while time.monotonic() < deadline:
            store = (
                target.phone_store
                if channel == "phone"
                else target.lane_stores[(n + k) % len(target.lane_stores)]
            )
            conv = Conversation(channel, store, await book.draw(store, rng))
            result.conversations.append(conv)
            try:
                if channel == "phone":
                    await _phone_conversation(target, conv, audio, rng)
                else:
                    await _lane_conversation(target, conv, f"load-{n}", audio, rng)
                conv.outcome = "done"
            except asyncio.CancelledError:
                conv.outcome = "cut"
                raise
            except Exception as exc:
                conv.outcome = "shed" if _shed(exc) else "error"
                conv.error = f"{type(exc).__name__}: {exc}"[:300]
            on_turns(len(conv.turns))
            k += 1
            await asyncio.sleep(rng.uniform(2.0, 4.0) if conv.outcome == "shed" else rng.uniform(0.5, 1.5))

    stop = asyncio.Event()
    samples: list[tuple[float, float]] = []
    watcher = asyncio.create_task(probe.watch(stop, samples))
    slots = [slot("phone", n) for n in range(level.calls)] + [slot("lane", n) for n in range(level.lanes)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*slots), duration_s + GRACE_S)
    for conv in result.conversations:
        if conv.outcome == "open":
            conv.outcome = "cut"
    stop.set()
    await watcher
    result.seconds = time.monotonic() - started
    result.server = probe.summarize(samples, level.sessions)
    result.client_cpu_percent = probe.client_cpu_percent()
    result.load_average = os.getloadavg()
    return result


class OrderBook:
    """The stores' submitted orders, read between levels; each level sees only the entries new since."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._seen: set[str] = set()

    def new_orders(self, stores: Sequence[str]) -> tuple[list[dict[str, Any]], bool]:
        """(entries not seen before, whether a store's list may have been cut at the 200-entry page)."""
        fresh: list[dict[str, Any]] = []
        full = False
        with httpx.Client(base_url=self.target.base_url, timeout=30) as http:
            for store in dict.fromkeys(stores):
                headers = {"Authorization": f"Bearer {self.target.keys[store]}"}
                response = http.get(f"/v1/stores/{store}/orders", params={"limit": 200}, headers=headers)
                response.raise_for_status()
                orders: list[dict[str, Any]] = response.json()["orders"]
                full = full or len(orders) == 200
                fresh += [o for o in orders if o["entry_id"] not in self._seen]
        self._seen.update(o["entry_id"] for o in fresh)
        return fresh, full

    def prime(self, stores: Sequence[str]) -> None:
        self.new_orders(stores)

    def submitted_counter(self) -> float | None:
        """The server's own count of orders it put on a stream (``/metrics``, this worker), None if unread."""
        key = next(iter(self.target.keys.values()), None)
        try:
            response = httpx.get(
                self.target.base_url + "/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=10
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        total = 0.0
        for line in response.text.splitlines():
            if line.startswith("orderline_orders_submitted_total"):
                total += float(line.rsplit(" ", 1)[-1])
        return total


def match_orders(conversations: Sequence[Conversation], orders: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Confirmed conversations against the new stream entries: each expected exactly once (by session id
    for lanes; phone calls, whose session id the caller never learns, by count and lines per store).

    ``lost`` counts lanes that saw ``submitted`` and have no entry: a real loss. A finished phone call without
    an entry is ``phone_without_order``: the phone carries no events, so a call the server did not follow to
    the confirmation (a misheard "yes") cannot be told from a lost order.
    """
    by_session: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        by_session.setdefault(order["session_id"], []).append(order)
    expected = found_once = lost = duplicated = correct = 0
    lane_sessions = set()
    for conv in conversations:
        if conv.channel != "lane" or not conv.confirmed or conv.session_id is None:
            continue
        lane_sessions.add(conv.session_id)
        expected += 1
        entries = by_session.get(conv.session_id, [])
        lost += not entries
        duplicated += len(entries) > 1
        if len(entries) == 1:
            found_once += 1
            correct += ticket_keys(entries[0]["ticket"]["lines"]) == conv.script.expected
    calls = [c for c in conversations if c.channel == "phone" and c.confirmed]
    phone_sessions = {
        sid: entries
        for sid, entries in by_session.items()
        if sid not in lane_sessions and entries[0]["channel"] == "phone"
    }
    expected += len(calls)
    found_once += min(len(calls), sum(len(e) == 1 for e in phone_sessions.values()))
    duplicated += sum(len(e) > 1 for e in phone_sessions.values())
    phone_without_order = max(0, len(calls) - len(phone_sessions))
    unmatched = Counter(c.script.expected for c in calls)
    for entries in phone_sessions.values():
        keys = ticket_keys(entries[0]["ticket"]["lines"])
        if unmatched[keys] > 0:
            unmatched[keys] -= 1
            correct += 1
    return {
        "expected": expected,
        "found_once": found_once,
        "lost": lost,
        "phone_without_order": phone_without_order,
        "lanes_not_confirmed": sum(
            1 for c in conversations if c.channel == "lane" and c.outcome == "done" and not c.confirmed
        ),
        "duplicated": duplicated,
        "correct": correct,
        "unexpected": sum(
            1 for sid, e in by_session.items() if sid not in lane_sessions and e[0]["channel"] == "lane"
        ),
    }


def knee(levels: Sequence[dict[str, Any]], limit_ms: float = KNEE_MS) -> dict[str, Any] | None:
    """The lowest load whose p95 passes ``limit_ms`` (levels with measured turns only); None: not reached."""
    for row in sorted(levels, key=lambda r: int(r["sessions"])):
        if row["turns_measured"] and row["first_audio_ms"]["p95"] > limit_ms:
            return {"sessions": row["sessions"], "calls": row["calls"], "lanes": row["lanes"]}
    return None


def sustained_knee(levels: Sequence[dict[str, Any]], limit_ms: float = KNEE_MS) -> dict[str, Any] | None:
    """The lowest load from which every higher level's p95 passes ``limit_ms`` too: unlike :func:`knee`,
    not moved by one slow turn at a light level with few turns measured."""
    rows = [r for r in sorted(levels, key=lambda r: int(r["sessions"])) if r["turns_measured"]]
    found: dict[str, Any] | None = None
    for row in reversed(rows):
        if row["first_audio_ms"]["p95"] <= limit_ms:
            break
        found = {"sessions": row["sessions"], "calls": row["calls"], "lanes": row["lanes"]}
    return found
