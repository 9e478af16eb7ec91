"""The console's navigation is the sections the apps registered (cxcore.navigation), in their order: cxcore
names only its own (Dashboard, Customers), so it knows nothing of the apps above it."""

from __future__ import annotations

from django.urls import reverse

from cxcore import navigation
from cxcore.navigation import nav_item


def labels(client) -> list[str]:
    return [item["label"] for item in client.get(reverse("dashboard")).context["nav_items"]]


def test_a_section_registered_later_takes_the_place_of_its_number(client, agent, monkeypatch):
    monkeypatch.setattr(navigation, "_items", dict(navigation._items))
    client.force_login(agent)
    before = labels(client)

    nav_item(name="api-docs", label="API docs", order=25)
    nav_item(name="api-docs", label="API docs", order=25)

    assert labels(client) == [*before[:2], "API docs", *before[2:]]


def test_cxcore_alone_lists_its_own_sections(client, agent, monkeypatch):
    own = {name: item for name, item in navigation._items.items() if name in ("dashboard", "customers")}
    monkeypatch.setattr(navigation, "_items", own)
    client.force_login(agent)

    assert labels(client) == ["Dashboard", "Customers"]
