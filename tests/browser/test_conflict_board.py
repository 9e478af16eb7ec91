"""A marketer opens the conflict board in a real browser: the charts draw, the list filters in place with the
URL kept and Back restores it, and a conflict leads to a campaign's preview."""

from __future__ import annotations

from playwright.sync_api import expect

from cxcore.factories import make_user
from journeys.tests.conflicts_support import campaign, population


def test_a_marketer_reads_the_board_filters_it_and_opens_a_preview(page, log_in):
    population(size=8)
    devices = campaign("Hardware", team="marketing_devices", category="service_update", start_day=1)
    campaign("Services", team="marketing_services", category="service_update", start_day=3)
    campaign("Survey", team="research", category="survey", start_day=30)  # no consent: all suppressed
    log_in(make_user("mona", role="marketer", team="marketing_services"))

    page.locator("nav.sidenav a", has_text="Conflicts").click()
    page.watch.wait_for("[data-testid=heatmap] .main-svg")
    page.watch.wait_for("[data-testid=timeline] .main-svg")
    rows = page.locator("[data-testid=conflict]")
    assert rows.count() == 2
    assert "marketing_devices" in rows.first.inner_text() and "marketing_services" in rows.first.inner_text()

    page.select_option("#conflict-kind", "suppressed_audience")
    page.wait_for_url("**/conflicts/?*kind=suppressed_audience*")
    expect(rows).to_have_count(1)
    assert "Survey" in rows.first.inner_text()

    # Back: the page again (not a snapshot kept by htmx), its select back at every kind.
    page.go_back()
    page.wait_for_url("**/conflicts/")
    expect(rows).to_have_count(2)
    expect(page.locator("#conflict-kind")).to_have_value("")

    page.locator("[data-testid=conflict]").first.locator("a", has_text="Hardware").click()
    page.wait_for_url(f"**/campaigns/{devices.pk}/preview/")
    page.watch.assert_clean()
