"""The customer page's signal timeline in a browser: load older signals, filter, reload and Back keep the
position and the filters the URL holds, at 1440 and at 390 pixels wide."""

from __future__ import annotations

import datetime as dt

import pytest

from cxcore.factories import CustomerFactory, make_user
from cxcore.models import Signal

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def customer_with_signals(n: int):
    # The longest email seen in the factory's data broke the 390 px layout once: it is pinned here
    customer = CustomerFactory(
        external_id="C-LONG", name="Long History Ltd", email="accounts.payable.department@long-history-limited.example"
    )
    kinds = ("purchase", "contact", "complaint")
    Signal.objects.bulk_create(
        Signal(
            customer=customer,
            kind=kinds[i % 3],
            team="service" if i % 2 else "sales",
            occurred_at=T0 + dt.timedelta(hours=i // 2),  # pairs share an instant
            received_at=T0,
            source="test",
            idempotency_key=f"long-{i}",
        )
        for i in range(n)
    )
    return customer


@pytest.mark.parametrize("width", [1440, 390])
def test_load_older_then_reload_and_back(page, log_in, width):
    page.set_viewport_size({"width": width, "height": 860})
    customer_with_signals(120)
    log_in(make_user("anna", role="agent", team="service"))
    signals = page.locator("[data-testid=signal]")

    page.goto("/customers/C-LONG/")
    page.watch.wait_for("[data-testid=load-more]")
    assert signals.count() == 50
    page.click("[data-testid=load-more]")
    page.wait_for_url("**/customers/C-LONG/?before=*")
    signals.nth(99).wait_for()
    assert signals.count() == 100
    times = signals.locator("time").evaluate_all("nodes => nodes.map(node => node.getAttribute('datetime'))")
    assert times == sorted(times, reverse=True)
    page.click("[data-testid=load-more]")
    signals.nth(119).wait_for()
    assert signals.count() == 120 and page.locator("[data-testid=load-more]").count() == 0

    page.reload()  # the URL holds the position: the last page loaded, with the way back to the newest
    page.watch.wait_for("[data-testid=timeline-position]")
    assert signals.count() == 20
    page.go_back()
    page.wait_for_url("**/customers/C-LONG/?before=*")
    page.go_back()
    page.wait_for_url("**/customers/C-LONG/")
    page.watch.wait_for("nav.sidenav")
    assert page.locator("h1").inner_text() == "Long History Ltd"
    assert signals.count() == 50

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.watch.screenshot(f"customer-timeline-{width}")
    page.watch.assert_clean()


def test_filters_are_kept_in_the_url_and_by_load_more(page, log_in):
    customer_with_signals(330)
    log_in(make_user("anna", role="agent", team="service"))
    signals = page.locator("[data-testid=signal]")

    page.goto("/customers/C-LONG/")
    page.watch.wait_for("#timeline-kind")
    page.select_option("#timeline-kind", "complaint")
    page.wait_for_url("**kind=complaint**")
    page.select_option("#timeline-team", "service")
    page.wait_for_url("**team=service**")
    page.locator("#timeline [data-testid=signal]").first.wait_for()
    page.click("[data-testid=load-more]")
    page.wait_for_url("**before=**")
    signals.nth(54).wait_for()

    # complaint (every third signal) and service (every odd one): 55 of 330
    assert signals.count() == 55
    assert set(signals.locator(".badge").all_inner_texts()) == {"complaint"}
    assert set(signals.locator(".timeline-detail").all_inner_texts()) == {"service"}
    page.reload()
    page.watch.wait_for("[data-testid=timeline-position]")
    assert page.locator("#timeline-kind").input_value() == "complaint"
    assert page.locator("#timeline-team").input_value() == "service"
    assert signals.count() == 5

    # Back through the filters: each select shows what that URL asks for, and the signals match it.
    page.go_back()
    page.wait_for_url("**/customers/C-LONG/?kind=complaint&team=service")
    assert signals.count() == 50
    assert page.locator("#timeline-team").input_value() == "service"
    page.go_back()
    page.wait_for_url("**/customers/C-LONG/?kind=complaint")
    page.locator("#timeline-team").wait_for()
    assert page.locator("#timeline-kind").input_value() == "complaint"
    assert page.locator("#timeline-team").input_value() == ""
    assert set(signals.locator(".badge").all_inner_texts()) == {"complaint"}
    page.go_back()
    page.wait_for_url("**/customers/C-LONG/")
    assert page.locator("#timeline-kind").input_value() == ""
    assert signals.count() == 50
    page.watch.assert_clean()
