"""The console's navigation, shown to every logged-in user: the sections the apps registered (cxcore.navigation)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from .navigation import nav_items


def _nav_items(path: str) -> list[dict]:
    items = []
    for item in nav_items():
        url = reverse(item.name)
        # A section owns every page below its URL (/customers/C1/ lights "Customers"); the
        # dashboard lives at "/" and so only owns "/" itself.
        active = path == url if url == "/" else path.startswith(url)
        items.append({"name": item.name, "label": item.label, "url": url, "active": active})
    return items


def navigation(request: HttpRequest) -> dict:
    return {"nav_items": _nav_items(request.path)}
