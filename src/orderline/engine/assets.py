"""Where the project's files are: menus, the demo stores and the committed adapter.

From a checkout (or an editable install) they sit at the project root; an installed wheel carries them under
``<prefix>/share/orderline`` (``[tool.setuptools.data-files]`` in pyproject.toml). ``ORDERLINE_HOME`` names
another root. Nothing assumes a git checkout.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

ADAPTER_NAME = "orderline-smollm2-lora"
SECOND_ADAPTER_NAME = "orderline-smollm2-lora-context"
"""The second adapter (another data mix and seed): the chain's second step and the reviewer of removals."""


def _checkout_root() -> Path:
    return Path(__file__).resolve().parents[3]


def data_roots() -> list[Path]:
    """Candidate roots, most specific first: ``ORDERLINE_HOME``, the checkout, the installed share folder."""
    roots = []
    home = os.environ.get("ORDERLINE_HOME")
    if home:
        roots.append(Path(home))
    roots += [_checkout_root(), Path(sys.prefix) / "share" / "orderline"]
    return roots


def _find(relative: str) -> Path:
    for root in data_roots():
        candidate = root / relative
        if candidate.exists():
            return candidate
    tried = ", ".join(str(r / relative) for r in data_roots())
    raise FileNotFoundError(f"{relative} not found (tried {tried}); set ORDERLINE_HOME to the project folder")


def menus_dir() -> Path:
    """The bundled menus (burger, pizza, coffee)."""
    return _find("menus")


def demo_stores_file() -> Path:
    """The three demo stores (one per bundled menu)."""
    return _find("menus/stores/demo.yaml")


def default_adapter() -> Path:
    """The committed LoRA adapter for the bundled SmolLM2 base."""
    return _find(f"models/{ADAPTER_NAME}")


def second_adapter() -> Path | None:
    """The committed second LoRA adapter, or None where this checkout has none (or only a half-written
    folder: a training run in progress)."""
    try:
        folder = _find(f"models/{SECOND_ADAPTER_NAME}")
    except FileNotFoundError:
        return None
    complete = all((folder / f).is_file() for f in ("adapter_config.json", "adapter_model.safetensors"))
    return folder if complete else None


def resolve_menu_path(value: str, folder: Path | None = None) -> Path:
    """A menu path, or a bare name ("burger") looked up in ``folder``, ./menus and the bundled menus.

    Raises:
        FileNotFoundError: no such menu.
    """
    path = Path(value)
    if path.is_file():
        return path
    name = value if value.endswith((".yaml", ".yml")) else f"{value}.yaml"
    folders = [f for f in (folder, Path.cwd() / "menus") if f is not None]
    with contextlib.suppress(FileNotFoundError):
        folders.append(menus_dir())
    for candidate in (f / name for f in folders):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"menu {value!r} not found (give a path or one of: burger, pizza, coffee)")
