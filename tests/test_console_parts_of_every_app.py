"""The parts the apps register on the console (cxcore.navigation, cxcore.panels) come together in the order
of the pages as they were designed: the navigation's sections, the membrane's dashboard panel and its
sections of the customer page."""

from __future__ import annotations

from django.urls import reverse

from cxcore.factories import CustomerFactory, SignalFactory


def test_the_navigation_lists_every_apps_sections_in_order(client, marketer):
    client.force_login(marketer)

    items = client.get(reverse("dashboard")).context["nav_items"]

    assert [item["label"] for item in items] == [
        "Dashboard",
        "Customers",
        "Principles",
        "Decisions",
        "Stages",
        "Campaigns",
        "Conflicts",
        "Actions",
        "Runs",
    ]


def test_the_membrane_panel_sits_between_the_population_and_the_signals(client, agent):
    client.force_login(agent)

    html = client.get(reverse("dashboard")).content.decode()

    assert (
        html.index('data-testid="customer-count"')
        < html.index('data-testid="open-tasks"')
        < html.index('data-testid="stage-distribution"')
        < html.index('data-testid="decisions-by-verdict"')
        < html.index("Signals by kind")
    )


def test_the_membrane_sections_take_their_places_on_the_customer_page(client, agent):
    customer = CustomerFactory(name="Corner Café")
    SignalFactory(customer=customer, kind="purchase", amount="12.00")
    client.force_login(agent)

    html = client.get(reverse("customer", args=[customer.external_id])).content.decode()

    heading = html[html.index("<h1>") : html.index('<div class="page-actions">')]
    assert "badge-stage-" in heading
    assert (
        html.index('data-testid="stage"')
        < html.index("<h2>Profile</h2>")
        < html.index("Consent per channel")
        < html.index('data-testid="may-we"')
        < html.index('data-testid="actions"')
        < html.index("Facts now")
        < html.index('data-testid="stage-history"')
        < html.index("Recent signals")
    )
    assert '<th scope="col">Email</th>' in html  # the matrix's columns named as the channels
