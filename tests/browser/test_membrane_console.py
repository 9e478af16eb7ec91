"""The dashboard and the reference merchant's page in a real browser: charts drawn, the may-we matrix, no errors."""

from __future__ import annotations

from django.utils import timezone

from cxcore.demo.generator import SOURCE, demo_generate
from cxcore.factories import make_user
from cxcore.importers.loading import population_load
from cxcore.models import Customer
from membrane.actions.services import actions_sync
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.runs.services import stages_evaluate_all

MERCHANT = "merchant-terminal-42"  # the reference story, in crisis (DESIGN.md section 13)


def reference_story():
    now = timezone.now()
    data = demo_generate(customers=0, seed=1, now=now)
    population_load(customers=data.customers, signals=data.signals, source=SOURCE)
    stages_evaluate_all(as_of=now)
    actions_sync(at=now)
    for external_id in ("merchant-terminal-42", "merchant-terminal-17"):
        customer = Customer.objects.get(external_id=external_id)
        for category in ("marketing", "upsell", "service_update"):
            interaction = Interaction(team="marketing_devices", category=category, channel="email")
            decision_make(inputs=DecisionInputs(customer), interaction=interaction, asked_by="test")


def test_the_dashboard_and_the_merchant_page(page, log_in):
    reference_story()
    log_in(make_user("anna", role="agent", team="service"))

    page.watch.wait_for("[data-chart=donut] .main-svg")
    page.watch.wait_for("[data-chart=stacked] .main-svg")
    assert page.locator("[data-chart=donut] .slice").count() == 2  # crisis and at risk
    assert page.locator("[data-chart=stacked] .bars .point").count() >= 3
    assert page.locator("[data-testid=open-task-count]").inner_text() != "0"
    page.watch.screenshot("membrane-dashboard")

    page.goto(f"/customers/{MERCHANT}/")
    page.watch.wait_for("[data-testid=may-we]")
    assert page.locator("[data-testid=may-we-marketing-email]").get_attribute("data-verdict") == "suppress"
    assert page.locator("[data-testid=may-we-service_update-email]").get_attribute("data-verdict") == "allow"
    reason = page.locator("[data-testid=may-we-marketing-email] .badge").get_attribute("title")
    assert "No marketing or sales offers during a crisis" in reason
    assert "Agent contact" in page.locator("[data-testid=actions]").inner_text()  # the kind's name
    latest_change = page.locator("[data-testid=stage-history] tbody tr").first.inner_text()
    assert "crisis" in latest_change and "open_tickets > 0" in latest_change
    page.watch.screenshot("membrane-merchant-42")

    page.goto("/stages/")
    page.watch.wait_for("[data-testid=published-rules]")
    page.watch.screenshot("membrane-stages")
    page.watch.assert_clean()
