"""The console's navigation: each app registers its sections in its AppConfig.ready, so that cxcore lists
the pages of apps it does not import (dependencies point one way)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    name: str  # the URL name of the section's page
    label: str
    # Sections are listed by it, apps apart: each app leaves gaps so another's sections fit between.
    order: int


_items: dict[str, NavItem] = {}


def nav_item(*, name: str, label: str, order: int) -> None:
    """Register a section; registering the same URL name again replaces it, so a reloaded app adds nothing."""
    _items[name] = NavItem(name=name, label=label, order=order)


def nav_items() -> list[NavItem]:
    """Every registered section, in order."""
    return sorted(_items.values(), key=lambda item: (item.order, item.name))
