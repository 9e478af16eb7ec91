"""A marketer's preview shows the customers a cap holds back: the cap under "What decides", and a sample
customer's reason in the decision API's words (how many contacts, the cap, when the next is possible), at
the desktop width and at a phone's."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from django.utils import timezone

from cxcore.factories import make_user
from cxcore.ingest import signals_ingest
from cxcore.models import Category, Channel, Customer, Team
from journeys.models import Campaign
from membrane.runs.services import stages_evaluate_all
from membrane.tests.principles_support import draft, publish
from membrane.tests.test_actions_set_based_agreement import random_customer

SHOTS = Path("/work/notes/shots")
CAP = "At most two service contacts a week"


def _contacted(external_id: str, days_ago: list[float]) -> None:
    now = timezone.now()
    items = [
        {
            "customer": external_id,
            "kind": "contact",
            "occurred_at": (now - dt.timedelta(days=d)).isoformat(),
            "direction": "out",
            "team": "marketing_services",
            "category": "service_update",
            "channel": "email",
            "idempotency_key": f"{external_id}-{d}",
        }
        for d in days_ago
    ]
    signals_ingest(items=items, source="test")


def _shoot(page, name: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    page.wait_for_timeout(300)  # the chart redraws to the new width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_preview_names_the_cap_that_holds_customers_back(page, log_in):
    rng = random.Random(1601)
    for n in range(12):
        random_customer(rng, f"cap-{n}")
    # Two contacts in the last week for the first four, one (or one old one) for the others.
    for n in range(12):
        _contacted(f"cap-{n}", [1, 3] if n < 4 else [2] if n % 2 else [20, 30])
    stages_evaluate_all(as_of=timezone.now(), chunk_size=20)
    manager = make_user("carla", role="cx_manager", team="cx")
    reviewer = make_user("sven", role="cx_manager", team="service")
    cap = draft(
        manager,
        title=CAP,
        categories=["service_update"],
        condition="true",
        effect="cap",
        params={"n": 2, "days": 7},
        priority=0,
        examples=[],
    )
    publish(cap, author=manager, reviewer=reviewer)
    start = (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    campaign = Campaign.objects.create(
        name="Service plan reminder",
        team=Team.objects.get(key="marketing_services"),
        category=Category.objects.get(key="service_update"),
        channel=Channel.objects.get(key="email"),
        audience="true",
        starts_at=start,
        ends_at=start + dt.timedelta(days=5),
    )
    assert Customer.objects.count() == 12

    log_in(make_user("mia", role="marketer", team="marketing_services"))
    page.goto(f"/campaigns/{campaign.pk}/preview/")
    page.watch.wait_for("[data-testid=preview-counts]")
    assert page.locator("[data-testid=suppressed]").inner_text() == "4"
    capped = page.locator("[data-testid=by-principle] tr", has_text=CAP)
    assert capped.count() == 1
    assert "suppress" in capped.inner_text() and "4" in capped.inner_text()
    reasons = page.locator("[data-testid=sample] li", has_text=f"Suppressed by '{CAP}' v1")
    assert reasons.count() == 4
    assert "2 contacts in the last 7 days already reach the cap of 2" in reasons.first.inner_text()
    _shoot(page, "h1-preview-cap-1440", 1440)
    _shoot(page, "h1-preview-cap-390", 390)
    page.reload()
    page.watch.wait_for("[data-testid=preview-counts]")
    assert page.locator("[data-testid=suppressed]").inner_text() == "4"
    page.watch.assert_clean()
