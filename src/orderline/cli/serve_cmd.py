"""``orderline serve`` (the HTTP service) and ``orderline keys create``."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
from typing import Annotated

import typer
from rich.console import Console

from orderline.api.deps import Services
from orderline.engine.settings import Settings
from orderline.engine.storage import data_dir, open_storage
from orderline.storage.base import Storage
from orderline.storage.keys import Role, new_key, split_key

console = Console()
err = Console(stderr=True)
keys_app = typer.Typer(
    help="API keys: per store, with a role (client, crew, manager), stored hashed.", no_args_is_help=True
)

DEMO_TURNS = ("a cheeseburger with no onions and a large coke", "that's it", "yes")


def settings_from(**overrides: object) -> Settings:
    """Settings from the environment / .env, with command-line options (those given) on top."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


async def _demo_keys(services: Services) -> dict[str, str]:
    """One manager key per store, kept in the data folder so they survive restarts (local use only)."""
    settings = services.engine.settings
    path = data_dir(settings) / "demo-keys.json"
    saved: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    keys: dict[str, str] = {}
    for store in services.engine.stores:
        token = saved.get(store)
        parts = split_key(token) if token else None
        if token is not None and parts is not None and await services.storage.get_key(parts[0]) is not None:
            keys[store] = token
            continue
        plain, entry = new_key(store, Role.MANAGER, label="demo")
        await services.storage.add_key(entry)
        keys[store] = plain
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return keys


def _banner(base: str, keys: dict[str, str]) -> str:
    store = "burger" if "burger" in keys else next(iter(keys))
    auth = f"-H 'Authorization: Bearer {keys[store]}' -H 'content-type: application/json'"
    pick = "python3 -c 'import sys,json;print(json.load(sys.stdin)[\"session_id\"])'"
    say = 'python3 -c \'import sys,json;r=json.load(sys.stdin);print(r["reply"], "|", r["order"]["total"])\''
    turns = " ".join(shlex.quote(json.dumps({"text": t})) for t in DEMO_TURNS)
    curl = (
        f"S=$(curl -s -X POST {base}/v1/stores/{store}/sessions {auth} -d '{{}}' | {pick}); "
        f'for t in {turns}; do curl -s -X POST {base}/v1/sessions/$S/turns {auth} -d "$t" | {say}; done'
    )
    lines = [
        f"Orderline is serving on {base}  (API docs: {base}/docs)",
        "Demo API keys (manager role, local use only):",
        *(f"  {s:<8} {k}" for s, k in keys.items()),
        f"Place an order at the {store} store:",
        f"  {curl}",
    ]
    return "\n".join(lines)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (ORDERLINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ORDERLINE_PORT).")] = None,
    nlu: Annotated[str | None, typer.Option(help="rules or hybrid (ORDERLINE_NLU; default hybrid).")] = None,
    demo: Annotated[
        bool, typer.Option(help="Print demo API keys (one per store) and a curl line to place an order.")
    ] = False,
) -> None:
    """Serve the HTTP API: text conversations, menus, orders, availability, /healthz, /readyz, /metrics.

    Storage is the Redis at REDIS_URL, or an embedded one in ORDERLINE_DATA_DIR when unset; stores come from
    ORDERLINE_STORES_FILE (default: the three demo stores). Stop with Ctrl-C (or SIGTERM): open turns finish,
    storage closes.
    """
    import uvicorn

    from orderline.api.app import create_app

    settings = settings_from(host=host, port=port, nlu=nlu)
    if demo and settings.env != "local":
        err.print("[red]--demo is for local use (ORDERLINE_ENV=local)[/red]")
        raise typer.Exit(2)

    async def ready(services: Services) -> None:
        if demo:
            keys = await _demo_keys(services)
            print(_banner(f"http://{settings.host}:{settings.port}", keys), flush=True)

    app = create_app(settings, on_ready=ready)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler it found:
    # a no-op one here, so a clean shutdown ends the process with status 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        ws_max_size=settings.max_body_bytes,
    )


async def _add_key(settings: Settings, store: str, role: Role, label: str) -> str:
    opened = open_storage(settings)
    storage: Storage = opened.storage
    try:
        plain, entry = new_key(store, role, label)
        await storage.add_key(entry)
        return plain
    finally:
        await opened.aclose()


@keys_app.command("create")
def keys_create(
    store: Annotated[str, typer.Option(help="Store id (from the stores file).")],
    role: Annotated[Role, typer.Option(help="client (lane/phone), crew, or manager.")] = Role.CLIENT,
    label: Annotated[str, typer.Option(help="A note to recognise the key by.")] = "",
    config: Annotated[
        bool,
        typer.Option(
            "--config", help="Print the hashed entry for stores.yaml instead of storing it in Redis."
        ),
    ] = False,
) -> None:
    """Create an API key and print it once (only its hash is kept)."""
    from orderline.engine.assets import demo_stores_file
    from orderline.engine.stores import StoreError, load_stores

    settings = settings_from()
    try:
        known = load_stores(settings.stores_file or demo_stores_file())
    except StoreError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if store not in known:
        err.print(f"[red]unknown store {store!r} (known: {', '.join(sorted(known))})[/red]")
        raise typer.Exit(2)
    if config:
        plain, entry = new_key(store, role, label)
        print(plain)
        err.print("add under the store's keys: in the stores file:")
        err.print(f"  - {{id: {entry.id}, role: {role.value}, sha256: {entry.sha256}}}")
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    plain = asyncio.run(_add_key(settings, store, role, label))
    print(plain)
    err.print(f"{role.value} key for store {store}: shown once, stored hashed")
