"""A CX manager looks at what a draft would change before publishing it, in a real browser, at 1440 and 390
pixels wide: the counts per category and channel, the chart, and an example customer's page one click away."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from membrane.models.principles import PrincipleVersion
from membrane.principles import services
from membrane.runs.services import stages_evaluate_all

DAY = dt.timedelta(days=1)


def test_a_cx_manager_previews_the_impact_of_a_draft(page, log_in):
    now = timezone.now()
    for n in range(4):
        customer = CustomerFactory(external_id=f"C-OPEN-{n}", name=f"Open ticket {n}")
        SignalFactory(customer=customer, kind="ticket_opened", ticket_ref=f"T{n}", occurred_at=now - n * DAY)
    CustomerFactory(external_id="C-CALM", name="Calm")
    stages_evaluate_all(as_of=now)
    carla = make_user("carla", role="cx_manager", team="cx")
    published = PrincipleVersion.objects.get(principle__slug="no-offers-in-crisis", status="published")
    draft = services.principle_version_draft_from_latest(
        principle=published.principle, actor=carla, condition="open_tickets > 0", categories=["service_update"]
    )
    log_in(carla)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/principles/{published.principle.slug}/v{draft.number}/impact/")
    page.watch.wait_for("[data-testid=impact-changes]")
    page.locator("[data-chart] .main-svg").first.wait_for()  # plotly drew the chart: no inline script needed
    rows = page.locator("[data-testid=impact-changes] tbody tr")
    service = rows.filter(has_text="service_update")
    assert service.count() > 0
    for cells in (service.nth(n).locator("td").all_inner_texts() for n in range(service.count())):
        assert cells[1] == "4"  # the four customers with an open ticket: allowed before, suppressed after
    page.watch.screenshot("principle-impact-1440")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.watch.wait_for("[data-testid=impact-changes]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # only the table scrolls, not the page
    page.watch.screenshot("principle-impact-390")

    service.first.locator("td a").first.click()
    page.wait_for_url("**/customers/C-OPEN-*/")
    page.go_back()
    page.watch.wait_for("[data-testid=impact-changes]")
    page.watch.assert_clean()
