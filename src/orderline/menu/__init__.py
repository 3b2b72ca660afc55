"""Menus: pydantic schema, YAML loader, and the lexicon that tier-1 understanding matches against."""

from orderline.menu.schema import ComboSlot, Item, Menu, ModifierGroup, ModifierOption, Size

__all__ = ["ComboSlot", "Item", "Menu", "ModifierGroup", "ModifierOption", "Size"]
