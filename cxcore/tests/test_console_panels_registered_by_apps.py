"""The dashboard's panels and the customer page's sections of other apps are what those apps registered
(cxcore.panels), each placed by its number: without them the pages show cxcore's parts alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cxcore import panels
from cxcore.factories import CustomerFactory, SignalFactory


def test_the_dashboard_without_other_apps_shows_the_population_alone(client, agent, monkeypatch):
    monkeypatch.setattr(panels, "_dashboard_panels", {})
    SignalFactory(kind="complaint")
    client.force_login(agent)

    html = client.get(reverse("dashboard")).content.decode()

    assert 'data-testid="signal-count">1<' in html
    assert "Signals by kind" in html
    assert 'data-testid="stage-distribution"' not in html and 'data-testid="open-tasks"' not in html


def test_the_customer_page_without_other_apps_shows_profile_consent_and_signals(client, agent, monkeypatch):
    monkeypatch.setattr(panels, "_customer_sections", {})
    customer = CustomerFactory(name="Corner Café")
    SignalFactory(customer=customer, kind="purchase", amount="12.00")
    client.force_login(agent)

    html = client.get(reverse("customer", args=[customer.external_id])).content.decode()

    assert "Consent per channel" in html and "Recent signals" in html
    assert 'data-testid="stage"' not in html and 'data-testid="may-we"' not in html
    assert 'data-testid="stage-history"' not in html


def test_a_section_for_a_place_the_page_lacks_is_refused():
    with pytest.raises(ValueError, match="footer"):
        panels.customer_section(template="membrane/_customer_sections.html#facts", place="footer", order=1)
