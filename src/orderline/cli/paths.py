"""Find menus and other project files whether run from a checkout or an installed package."""

from __future__ import annotations

from pathlib import Path

import typer

REPO_ROOT = Path(__file__).resolve().parents[3]


def resolve_menu(value: str) -> Path:
    """A menu path, or a bare name ("burger") looked up in ./menus and the project's menus/."""
    path = Path(value)
    if path.exists():
        return path
    for folder in (Path.cwd() / "menus", REPO_ROOT / "menus"):
        candidate = folder / (value if value.endswith((".yaml", ".yml")) else f"{value}.yaml")
        if candidate.exists():
            return candidate
    raise typer.BadParameter(f"menu {value!r} not found (give a path or one of: burger, pizza, coffee)")


def reports_dir() -> Path:
    folder = Path.cwd() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
