"""Menus, stores and the adapter are found without assuming a git checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orderline.engine import assets


def test_files_are_found_from_the_checkout() -> None:
    assert (assets.menus_dir() / "burger.yaml").is_file()
    assert (assets.default_adapter() / "adapter_config.json").is_file()
    assert assets.resolve_menu_path("pizza").name == "pizza.yaml"


def test_an_installed_layout_is_found_by_orderline_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wheel's ``share/orderline`` layout, named by ORDERLINE_HOME, comes first."""
    share = tmp_path / "share" / "orderline"
    shutil.copytree(assets.menus_dir(), share / "menus")
    monkeypatch.setenv("ORDERLINE_HOME", str(share))
    assert assets.menus_dir() == share / "menus"
    assert assets.demo_stores_file() == share / "menus" / "stores" / "demo.yaml"


def test_an_unknown_menu_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        assets.resolve_menu_path("nowhere")
