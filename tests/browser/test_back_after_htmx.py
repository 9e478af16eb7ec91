"""Back after an htmx search, page change or filter brings back the whole styled page, never the bare fragment.

The fragment and the page share a URL (hx-push-url): the browser may keep only one of them per URL
unless the answer says it varies by HX-Request, and htmx's own history restore asks with HX-Request too.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from membrane.actions.services import actions_sync


def assert_whole_page(page, heading: str, fragment: str) -> None:
    """The layout around the fragment is there: the top bar, the side navigation, the heading, the styles."""
    page.watch.wait_for(fragment)
    assert page.locator("header.topbar").count() == 1
    assert page.locator("nav.sidenav").count() == 1
    assert page.locator("h1").inner_text() == heading
    assert page.locator(fragment).count() == 1
    # app.css laid the page out: the side navigation is a column, not an unstyled list.
    assert page.locator("link[rel=stylesheet]").count() >= 1
    assert page.evaluate("getComputedStyle(document.querySelector('nav.sidenav ul')).listStyleType") == "none"


def test_back_to_a_customer_search(page, log_in):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    CustomerFactory(external_id="C-BETA", name="Beta Garage")
    log_in(make_user("anna", role="agent", team="service"))
    page.goto("/customers/")

    with page.expect_response(lambda response: "q=beta" in response.url.lower()):
        page.fill("input[name=q]", "beta")
    page.wait_for_url("**/customers/?q=beta")
    page.locator("#results a", has_text="C-BETA").click()
    page.wait_for_url("**/customers/C-BETA/")
    page.go_back()

    page.wait_for_url("**/customers/?q=beta")
    assert_whole_page(page, "Customers", "#results")
    assert page.locator("#results tbody tr").count() == 1
    page.watch.screenshot("back-to-customer-search")
    page.watch.assert_clean()


def test_back_to_a_page_of_customers(page, log_in):
    for n in range(30):
        CustomerFactory(external_id=f"C-{n:03d}", name=f"Customer {n}")
    log_in(make_user("anna", role="agent", team="service"))
    page.goto("/customers/")

    page.locator("#results a", has_text="Next →").click()
    page.wait_for_url("**/customers/?page=2")
    page.watch.wait_for("#results .pager-links a:has-text('← Previous')")
    page.locator("#results tbody a").first.click()
    page.wait_for_url("**/customers/C-*/")
    page.go_back()

    page.wait_for_url("**/customers/?page=2")
    assert_whole_page(page, "Customers", "#results")
    assert "page 2 of 2" in page.locator("#results").inner_text()
    page.watch.assert_clean()


def test_back_to_a_filtered_task_queue(page, log_in):
    now = timezone.now()
    customer = CustomerFactory(external_id="C-TERMINAL", name="Corner Café")
    for n in range(4):
        SignalFactory(
            customer=customer,
            kind="ticket_opened",
            ticket_ref=f"T-{n}",
            issue_key="terminal",
            occurred_at=now - dt.timedelta(days=4 - n),
        )
    actions_sync(customer_ids=[customer.pk], at=now)
    log_in(make_user("carla", role="cx_manager", team="cx"))
    page.goto("/actions/")

    page.select_option("#task-team", "service")
    page.wait_for_url("**/actions/?team=service&kind=all&q=")
    page.locator("#queue [data-testid=open-tasks] a", has_text="C-TERMINAL").first.click()
    page.wait_for_url("**/customers/C-TERMINAL/")
    page.go_back()

    page.wait_for_url("**/actions/?team=service&kind=all&q=")
    assert_whole_page(page, "Actions", "#queue")
    page.watch.assert_clean()


def test_back_when_htmx_has_no_snapshot_of_the_page(page, log_in):
    """Without a snapshot in its history cache htmx asks the server again, with HX-Request: the whole page must come."""
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    CustomerFactory(external_id="C-BETA", name="Beta Garage")
    log_in(make_user("anna", role="agent", team="service"))
    page.goto("/customers/")
    page.evaluate("htmx.config.historyCacheSize = 0")

    for query in ("alpha", "beta"):
        with page.expect_response(lambda response, query=query: f"q={query}" in response.url.lower()):
            page.fill("input[name=q]", query)
        page.wait_for_url(f"**/customers/?q={query}")
    with page.expect_response(lambda response: "q=alpha" in response.url.lower()):
        page.go_back()

    page.wait_for_url("**/customers/?q=alpha")
    assert_whole_page(page, "Customers", "#results")
    assert "C-ALPHA" in page.locator("#results").inner_text()
    page.watch.assert_clean()
