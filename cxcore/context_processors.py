"""The console's navigation, shown to every logged-in user."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

NAV = [
    ("dashboard", "Dashboard"),
    ("customers", "Customers"),
    ("principles", "Principles"),
    ("decisions", "Decisions"),
    ("stages", "Stages"),
    ("campaigns", "Campaigns"),
    ("conflicts", "Conflicts"),
    ("actions", "Actions"),
    ("runs", "Runs"),
]


def _nav_items(path: str) -> list[dict]:
    items = []
    for name, label in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:  # an app whose pages are not routed yet
            continue
        # A section owns every page below its URL (/customers/C1/ lights "Customers"); the
        # dashboard lives at "/" and so only owns "/" itself.
        active = path == url if url == "/" else path.startswith(url)
        items.append({"name": name, "label": label, "url": url, "active": active})
    return items


def navigation(request: HttpRequest) -> dict:
    return {"nav_items": _nav_items(request.path)}
