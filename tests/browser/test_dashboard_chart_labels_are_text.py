"""In the browser, texts from data are drawn by plotly as their characters, never as links or markup
(issue 12, item 8)."""

from __future__ import annotations

from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from membrane.models import DecisionLog

LINK = '<a href="https://ev.il/p">Login</a>'


def test_a_kind_written_as_a_link_is_drawn_as_text(page, log_in):
    SignalFactory.create_batch(2, kind=LINK)
    SignalFactory(kind="<b>bold</b>")
    now = timezone.now()
    DecisionLog.objects.create(
        customer=CustomerFactory(),
        team="cx",
        category="<i>upsell</i>",
        channel="email",
        at=now,
        decided_at=now,
        verdict="allow",
        reason="test",
    )
    log_in(make_user("carla", role="cx_manager", team="cx"))

    signals = page.locator('[data-chart-source="signals-by-kind-data"]')
    signals.locator(".xtick text").first.wait_for()

    assert sorted(signals.locator(".xtick text").all_text_contents()) == sorted([LINK, "<b>bold</b>"])
    links = page.evaluate(
        """() => [...document.querySelectorAll("[data-chart] a")].map(
            (a) => a.getAttribute("href") || a.getAttribute("xlink:href"))"""
    )
    assert links == []
    assert page.locator("[data-chart] .xtick tspan[style*='bold']").count() == 0
    # The hover label of the stacked chart: the category and the series' name, as text.
    decisions = page.locator('[data-chart-source="decisions-data"]')
    decisions.scroll_into_view_if_needed()
    bar = decisions.locator(".bars .point path").first.bounding_box()
    # Over the bar: plotly's drag layer above it takes the pointer and draws the hover label.
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    hover = page.locator(".hoverlayer .hovertext").first
    hover.wait_for()
    assert hover.text_content() == "<i>upsell</i>, allow: 1"
    assert page.locator(".hoverlayer tspan[style*='italic']").count() == 0
    page.watch.screenshot("dashboard-chart-labels")
    page.watch.assert_clean()
