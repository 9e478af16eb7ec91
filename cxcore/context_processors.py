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


class _NoRole:
    """Who the navigation is for when the user cannot be read (the 500 page renders after any failure, the
    session's included): the sections every role has."""

    def has_role(self, *roles: str) -> bool:
        return False


def navigation(request: HttpRequest) -> dict:
    try:
        user = request.user if request.user.is_authenticated else _NoRole()
    except Exception:  # noqa: BLE001 - the error page must render whatever failed before it
        user = _NoRole()
    return {"nav_items": _nav_items(request.path, user)}
