"""The console's navigation, shown to every logged-in user."""

from __future__ import annotations

NAV = [
    ("dashboard", "Dashboard"),
    ("customers", "Customers"),
    ("principles", "Principles"),
    ("stages", "Stages"),
    ("campaigns", "Campaigns"),
    ("conflicts", "Conflicts"),
    ("actions", "Actions"),
    ("runs", "Runs"),
]


def navigation(request):
    return {"nav_items": NAV}
