"""Shared fixtures: the three bundled menus, loaded once, and tier-1 matchers for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.matcher import RuleMatcher

ROOT = Path(__file__).resolve().parents[1]
MENUS = ROOT / "menus"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def burger() -> Menu:
    return load_menu(MENUS / "burger.yaml")


@pytest.fixture(scope="session")
def pizza() -> Menu:
    return load_menu(MENUS / "pizza.yaml")


@pytest.fixture(scope="session")
def coffee() -> Menu:
    return load_menu(MENUS / "coffee.yaml")


@pytest.fixture(scope="session")
def burger_matcher(burger: Menu) -> RuleMatcher:
    return RuleMatcher(burger)


@pytest.fixture(scope="session")
def pizza_matcher(pizza: Menu) -> RuleMatcher:
    return RuleMatcher(pizza)


@pytest.fixture(scope="session")
def coffee_matcher(coffee: Menu) -> RuleMatcher:
    return RuleMatcher(coffee)


# -- the real bundled SLM: base model + committed adapter, loaded once per session when a test asks ----------

ADAPTER = ROOT / "models" / "orderline-smollm2-lora"


@pytest.fixture(scope="session")
def slm_backends() -> tuple[object, object]:
    """(adapter backend, few-shot base backend), both real models on the CPU."""
    from orderline.engine.slm import SlmOptions, local_backends

    return local_backends(SlmOptions(adapter=ADAPTER))
