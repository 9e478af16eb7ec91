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
    # The roles the section is for (cxcore.models.Role values); empty: every logged-in user. The pages check
    # again: hiding a section only spares a role the pages it has no business with.
    roles: tuple[str, ...] = ()

    def shown_to(self, user) -> bool:
        return not self.roles or user.has_role(*self.roles)


_items: dict[str, NavItem] = {}


def nav_item(*, name: str, label: str, order: int, roles: tuple[str, ...] = ()) -> None:
    """Register a section; registering the same URL name again replaces it, so a reloaded app adds nothing."""
    _items[name] = NavItem(name=name, label=label, order=order, roles=tuple(roles))


def nav_items() -> list[NavItem]:
    """Every registered section, in order."""
    return sorted(_items.values(), key=lambda item: (item.order, item.name))
