"""What the campaign tests share: a valid campaign's fields and one stored for a team."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.models import Category, Channel, Team
from journeys.models import Campaign

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=7)


def fields(**changes) -> dict:
    """A valid campaign as the API takes it."""
    return {
        "name": "New terminals",
        "team": "marketing_devices",
        "category": "upsell",
        "channel": "email",
        "audience": "open_tickets == 0",
        "starts_at": START.isoformat(),
        "ends_at": (START + dt.timedelta(days=14)).isoformat(),
        "touches": 2,
        "priority": 5,
        **changes,
    }


def stored(team: str = "marketing_devices", **changes) -> Campaign:
    values = {
        "name": f"{team} spring",
        "team": Team.objects.get(key=team),
        "category": Category.objects.get(key="upsell"),
        "channel": Channel.objects.get(key="email"),
        "audience": "true",
        "starts_at": START,
        "ends_at": START + dt.timedelta(days=14),
        **changes,
    }
    return Campaign.objects.create(**values)
