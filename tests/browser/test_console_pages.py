"""The console in a real browser: the layout per role, every page clean, no request leaves the server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from cxcore.navigation import nav_items

from .conftest import PASSWORD, PUBLIC_HOST

ROLES = ["cx_manager", "agent", "marketer", "admin"]
TEAMS = {"cx_manager": "cx", "agent": "service", "marketer": "marketing_devices", "admin": None}
LABELS = {"cx_manager": "CX manager", "agent": "Agent", "marketer": "Marketer", "admin": "Administrator"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_to_the_layout(page, log_in, role):
    user = make_user(f"user_{role}", role=role, team=TEAMS[role])

    log_in(user)

    assert page.locator("[data-testid=role]").inner_text() == LABELS[role]
    assert page.locator(".who-name").inner_text() == user.username
    nav = page.locator("nav.sidenav a")
    assert nav.all_inner_texts() == [item.label for item in nav_items() if item.shown_to(user)]
    assert page.locator("nav.sidenav a.active").inner_text() == "Dashboard"
    page.watch.screenshot(f"dashboard-{role}")
    page.watch.assert_clean()


def test_every_nav_page_loads_cleanly(page, log_in):
    user = make_user("carla", role="cx_manager", team="cx")
    customer = CustomerFactory(external_id="C-TERMINAL", name="Corner Café")
    SignalFactory(customer=customer, kind="ticket_opened", ticket_ref="T-1", issue_key="terminal", severity="high")
    SignalFactory(customer=customer, kind="purchase", amount="129.00")
    log_in(user)

    for item in nav_items():
        page.locator("nav.sidenav a", has_text=item.label).click()
        page.wait_for_load_state("networkidle")
        assert page.locator("nav.sidenav a.active").inner_text() == item.label
        assert page.locator("h1").inner_text().strip()
        page.watch.screenshot(f"page-{item.name}")

    page.goto(f"/customers/{customer.external_id}/")
    assert page.locator("h1").inner_text() == "Corner Café"
    assert page.locator("nav.sidenav a.active").inner_text() == "Customers"
    page.watch.screenshot("page-customer")
    page.watch.assert_clean()


def test_dashboard_draws_the_signal_chart(page, log_in):
    SignalFactory.create_batch(3, kind="ticket_opened")
    SignalFactory(kind="complaint")
    log_in(make_user("carla", role="cx_manager", team="cx"))

    page.wait_for_selector("[data-chart] .main-svg")

    assert page.locator("[data-chart] .bars .point").count() == 2
    page.watch.screenshot("dashboard-chart")
    page.watch.assert_clean()


def test_customer_search_updates_results_as_you_type(page, log_in):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    CustomerFactory(external_id="C-BETA", name="Beta Garage")
    log_in(make_user("anna", role="agent", team="service"))
    page.goto("/customers/")

    with page.expect_response(lambda response: "q=beta" in response.url.lower()):
        page.fill("input[name=q]", "beta")

    rows = page.locator("#results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert page.locator("#results").count() == 1  # the fragment replaced the results, not nested in them
    assert "Beta Garage" in rows.first.inner_text()
    assert page.url.endswith("/customers/?q=beta")  # the search is a URL one can share or reload
    page.watch.screenshot("customers-search")
    page.watch.assert_clean()


def test_the_login_page_is_clean(page):
    page.goto("/")

    assert "/login/?next=/" in page.url
    page.locator("input[name=username]").wait_for()
    page.watch.screenshot("login")
    page.watch.assert_clean()


@pytest.mark.parametrize("public_name", [False, True], ids=["localhost", "public-host-name"])
def test_api_docs_render_offline_under_the_csp(page, live_server, settings, public_name, agent):
    origin = live_server.url
    if public_name:
        port = urlsplit(live_server.url).port
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, PUBLIC_HOST]
        origin = page.watch.origin = f"http://{PUBLIC_HOST}:{port}"

    # The docs, like every page, are for logged-in users.
    page.goto(f"{origin}/login/?next=/api/docs/")
    page.fill("input[name=username]", agent.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.watch.wait_for(".swagger-ui .info .title")
    page.wait_for_load_state("networkidle")

    assert "CX Membrane API" in page.locator(".swagger-ui .info .title").inner_text()
    assert any("/api/schema/" in url for url in page.watch.requests)
    page.watch.screenshot(f"api-docs{'-public' if public_name else ''}")
    page.watch.assert_clean()


def test_admin_adds_a_token_and_shows_the_key_once(page, log_in):
    log_in(make_user("ada", role="admin", team=None))

    page.goto("/admin/cxcore/apitoken/add/")
    page.fill("input[name=name]", "crm")
    page.check("input[name=scopes][value=ingest]")
    page.check("input[name=scopes][value=read]")
    page.click("input[name=_save]")

    message = page.locator(".messagelist .warning").inner_text()
    key = re.search(r"cxm_[\w-]{20,}", message).group(0)
    assert "will not be shown again" in message
    page.watch.screenshot("admin-token-added")
    page.reload()
    assert key not in page.content()
    assert key[:8] in page.locator("#result_list").inner_text()  # the list shows the prefix only
    page.watch.assert_clean()
