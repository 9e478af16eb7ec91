"""The console's navigation: the sections the apps registered (cxcore.navigation) for the logged-in user's role."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from .navigation import nav_items


def _nav_items(path: str, user) -> list[dict]:
    items = []
    for item in nav_items():
        if not item.shown_to(user):
            continue
        url = reverse(item.name)
        # A section owns every page below its URL (/customers/C1/ lights "Customers"); the
        # dashboard lives at "/" and so only owns "/" itself.
        active = path == url if url == "/" else path.startswith(url)
        items.append({"name": item.name, "label": item.label, "url": url, "active": active})
    return items


def navigation(request: HttpRequest) -> dict:
    if not request.user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": _nav_items(request.path, request.user)}
