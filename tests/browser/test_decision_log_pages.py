"""The decision log in a real browser at a laptop's width and a phone's (issue 17): filter it, export what the
filter keeps, open one decision and read why, and go Back to the filtered log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from cxcore.factories import CustomerFactory, make_user
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.tests.stage_helpers import DAY, ticket

SHOTS = Path("/work/notes/shots")
WIDTHS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


def shot(page, name: str) -> None:
    if SHOTS.is_dir():
        # From the top: the sticky top bar is drawn where the window was scrolled to, over the page.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", WIDTHS)
def test_filter_export_and_open_one_decision(page, log_in, size):
    viewport = WIDTHS[size]
    page.set_viewport_size(viewport)
    crisis = CustomerFactory(external_id="M-CRISIS", name="Corner Café")
    ticket(crisis.external_id, "T1", timezone.now() - 2 * DAY)
    calm = CustomerFactory(external_id="M-CALM", consent={"sms": True})
    suppressed = decision_make(
        inputs=DecisionInputs(crisis), interaction=Interaction("marketing_devices", "upsell", "email")
    )
    decision_make(inputs=DecisionInputs(calm), interaction=Interaction("research", "survey", "sms"))
    log_in(make_user("carla", role="cx_manager", team="cx"))

    page.goto("/decisions/")
    page.select_option("select[name=team]", "marketing_devices")
    page.click("[data-testid=decision-filter] button[type=submit]")
    page.wait_for_url("**/decisions/?verdict=&team=marketing_devices**")
    rows = page.locator("[data-testid=decisions] tbody tr")
    assert rows.count() == 1 and "M-CRISIS" in rows.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"h8-decision-log-{size}")

    with page.expect_download() as download:
        page.click("[data-testid=decisions-csv]")
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 2 and lines[1].split(",")[3] == "M-CRISIS"

    page.click("[data-testid=open-decision]")
    page.wait_for_url(f"**/decisions/{suppressed.decision_id}/")
    assert "No marketing or sales offers during a crisis" in page.locator("[data-testid=decided-by]").inner_text()
    assert page.locator("[data-testid=deciding]").count() == 1
    facts = page.locator("[data-testid=decision-facts]").inner_text()
    assert "stage" in facts and "crisis" in facts
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"h8-decision-{size}")

    page.go_back()
    page.wait_for_url("**/decisions/?verdict=&team=marketing_devices**")
    assert page.locator("[data-testid=decisions] tbody tr").count() == 1

    page.goto("/decisions/?team=zzz")
    assert "Unknown team zzz: no decision is shown." in page.locator("[data-testid=decision-errors]").inner_text()
    page.watch.assert_clean()
