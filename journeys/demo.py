"""The demo's campaigns (DESIGN.md section 13): the two marketing departments and the research team plan
contacts over the same weeks, so the conflict board shows real conflicts and the previews real suppressions
as soon as the console starts.

- marketing_devices upsells new card terminals, twice, to merchants and to customers whose problem recurred
  (the at-risk customers among them meet the principle "at most one upsell a month");
- marketing_services offers a service plan upgrade to business customers, overlapping it;
- research surveys the customers with recent tickets (those still waiting for an ETA are suppressed).

Added by load_demo through cxcore's `demo_loaded` hook (journeys.apps); a rerun updates them in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from cxcore.models import Category, Channel, Team, User

from .models import Campaign, CampaignStatus


@dataclass(frozen=True)
class DemoCampaign:
    name: str
    team: str
    owner: str  # the demo user who plans it (cxcore.demo.users)
    category: str
    channel: str
    audience: str
    start_in_days: int
    days: int
    touches: int
    priority: int


DEMO_CAMPAIGNS = [
    DemoCampaign(
        "New card terminals",
        "marketing_devices",
        "mark",
        "upsell",
        "email",
        'segment == "smb" or max_issue_recurrence_90d >= 2',
        2,
        14,
        2,
        20,
    ),
    DemoCampaign(
        "Service plan upgrade",
        "marketing_services",
        "mona",
        "marketing",
        "email",
        'segment in ["smb", "enterprise"]',
        4,
        21,
        1,
        10,
    ),
    DemoCampaign(
        "Satisfaction survey",
        "research",
        "rita",
        "survey",
        "email",
        "tickets_resolved_30d > 0 or open_tickets > 0",
        3,
        10,
        1,
        15,
    ),
]


@transaction.atomic
def demo_campaigns_ensure(*, now: dt.datetime) -> list[Campaign]:
    """Creates the demo campaigns, scheduled from a few days after `now`, or puts them back as the demo has them."""
    day = now.replace(hour=8, minute=0, second=0, microsecond=0)
    users = {user.username: user for user in User.objects.filter(username__in=[s.owner for s in DEMO_CAMPAIGNS])}
    campaigns = []
    for spec in DEMO_CAMPAIGNS:
        starts_at = day + dt.timedelta(days=spec.start_in_days)
        fields = {
            "category": Category.objects.get(key=spec.category),
            "channel": Channel.objects.get(key=spec.channel),
            "audience": spec.audience,
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(days=spec.days),
            "touches": spec.touches,
            "priority": spec.priority,
            "status": CampaignStatus.SCHEDULED,
        }
        owner = users.get(spec.owner)
        campaign, _ = Campaign.objects.update_or_create(
            name=spec.name,
            team=Team.objects.get(key=spec.team),
            # Put back, it is an edit like any other: a copy open in a form must not overwrite it unseen.
            defaults={**fields, "lock_version": F("lock_version") + 1},
            create_defaults={**fields, "created_by": owner, "updated_by": owner},
        )
        campaigns.append(campaign)
    return campaigns


def demo_loaded_receiver(sender, *, now: dt.datetime, **kwargs) -> str:
    """cxcore's demo_loaded hook: the demo campaigns, and a line for load_demo to print."""
    campaigns = demo_campaigns_ensure(now=now)
    return f"Demo campaigns: {', '.join(c.name for c in campaigns)} (scheduled)."
