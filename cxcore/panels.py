"""Parts of cxcore's console pages that other apps contribute: panels of the dashboard and sections of the
customer page (the membrane's stages, decisions and tasks). Each app registers its parts in its
AppConfig.ready, with its own template, so that cxcore neither imports it nor names its data.

A part is a template rendered with its own context into HTML that the page places where its kind goes,
in the order of the parts' numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class DashboardPanel:
    template: str
    context: Callable[..., dict[str, Any]]  # called as context(now=...): the template's context
    order: int


# Keyed by template: registering the same panel again replaces it instead of showing it twice.
_dashboard_panels: dict[str, DashboardPanel] = {}


def dashboard_panel(*, template: str, context: Callable[..., dict[str, Any]], order: int) -> None:
    _dashboard_panels[template] = DashboardPanel(template=template, context=context, order=order)


def dashboard_panels(*, now: dt.datetime) -> list[SafeString]:
    """Every registered panel rendered as of `now`, in order."""
    panels = sorted(_dashboard_panels.values(), key=lambda panel: (panel.order, panel.template))
    return [render_to_string(panel.template, panel.context(now=now)) for panel in panels]


# Where a section of the customer page goes: after the name in the heading (inline), above the profile
# (summary figures) or below the profile and consent (details).
CUSTOMER_PLACES = ("heading", "summary", "details")


@dataclass(frozen=True)
class CustomerSection:
    template: str
    place: str
    order: int


_customer_sections: dict[str, CustomerSection] = {}


def customer_section(*, template: str, place: str, order: int) -> None:
    """Register a section, rendered with the page's context: `customer`, `view` (its customer_360, which the
    app's contributor filled) and `channel_names` (channel key -> name)."""
    if place not in CUSTOMER_PLACES:
        raise ValueError(f"{place!r} is not a place of the customer page: {', '.join(CUSTOMER_PLACES)}")
    _customer_sections[template] = CustomerSection(template=template, place=place, order=order)


def customer_sections(*, context: dict[str, Any]) -> dict[str, list[SafeString]]:
    """Every registered section rendered with `context`, by place, in order."""
    rendered: dict[str, list[SafeString]] = {place: [] for place in CUSTOMER_PLACES}
    for section in sorted(_customer_sections.values(), key=lambda s: (s.order, s.template)):
        rendered[section.place].append(render_to_string(section.template, context))
    return rendered
