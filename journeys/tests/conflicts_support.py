"""Helpers of the conflicts and arbitration tests: a small evaluated population and campaigns over it."""

from __future__ import annotations

import random

from cxcore.models import Category, Channel, Team
from journeys.models import Campaign, CampaignStatus
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import DAY, NOW
from membrane.tests.test_actions_set_based_agreement import random_customer

AUDIENCES = [
    "true",
    'stage in ["crisis", "at_risk"]',
    "open_tickets > 0",
    'stage == "onboarding"',
    "purchases_90d > 0 or open_tickets == 0",
]


def population(size: int = 24, seed: int = 16) -> None:
    rng = random.Random(seed)
    for n in range(size):
        random_customer(rng, f"cf-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=10)


def campaign(
    name: str,
    *,
    team: str = "marketing_devices",
    category: str = "marketing",
    channel: str = "email",
    audience: str = "true",
    start_day: float = 1,
    days: float = 10,
    touches: int = 1,
    priority: int = 0,
    status: str = CampaignStatus.SCHEDULED,
) -> Campaign:
    starts_at = NOW + start_day * DAY
    return Campaign.objects.create(
        name=name,
        team=Team.objects.get(key=team),
        category=Category.objects.get(key=category),
        channel=Channel.objects.get(key=channel),
        audience=audience,
        starts_at=starts_at,
        ends_at=starts_at + days * DAY,
        touches=touches,
        priority=priority,
        status=status,
    )
