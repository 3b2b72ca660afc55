"""``orderline users add``: dashboard users (crew, manager) per store, passwords kept as argon2 hashes."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from orderline.cli.serve_cmd import settings_from
from orderline.engine.settings import Settings
from orderline.engine.storage import open_storage
from orderline.storage.keys import Role
from orderline.storage.users import DashboardUser, new_user

users_app = typer.Typer(
    help="Dashboard users: per store, crew or manager, passwords stored as argon2 hashes.",
    no_args_is_help=True,
)
err = Console(stderr=True)


async def _store(settings: Settings, user: DashboardUser) -> bool:
    opened = open_storage(settings)
    try:
        existed = await opened.storage.get_user(user.store, user.name) is not None
        await opened.storage.add_user(user)
        return existed
    finally:
        await opened.aclose()


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Sign-in name (lower case letters, digits, . _ -).")],
    store: Annotated[str, typer.Option(help="Store id (from the stores file).")],
    role: Annotated[
        Role, typer.Option(help="crew (live view, takeover, orders) or manager (+ 86).")
    ] = Role.CREW,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
) -> None:
    """Add a dashboard user, or set a new password for an existing one. The first manager is made here."""
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
    if role is Role.CLIENT:
        err.print("[red]dashboard users are crew or manager; lanes and phones use API keys[/red]")
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = new_user(name, store, role, password)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    existed = asyncio.run(_store(settings, user))
    verb = "password changed for" if existed else "added"
    err.print(f"{verb} {role.value} {user.name} at store {store}; sign in at /dashboard/login")
