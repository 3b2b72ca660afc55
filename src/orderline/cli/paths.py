"""Menus and report folders for command-line tools (checkout or installed package alike)."""

from __future__ import annotations

from pathlib import Path

import typer

from orderline.engine.assets import resolve_menu_path


def resolve_menu(value: str) -> Path:
    """A menu path, or a bare name ("burger") looked up in ./menus and the bundled menus."""
    try:
        return resolve_menu_path(value)
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc)) from None


def reports_dir() -> Path:
    folder = Path.cwd() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
