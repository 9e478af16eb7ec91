from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory


def test_customer_page_shows_profile_consent_and_recent_signals(client, agent):
    customer = CustomerFactory(external_id="C-TERM", name="Corner Café", consent={"email": True, "sms": False})
    SignalFactory(customer=customer, kind="ticket_opened", ticket_ref="T-77", issue_key="terminal", severity="high")
    SignalFactory(customer=customer, kind="purchase", amount="129.00")
    client.force_login(agent)

    response = client.get(reverse("customer", args=["C-TERM"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Corner Café" in html
    assert "T-77" in html and "129.00" in html
    consent = dict(response.context["consent"])
    assert consent["Email"] is True
    assert consent["SMS"] is False
    assert consent["Phone"] is False  # a channel not listed has no consent


def test_signals_are_newest_first(client, agent):
    customer = CustomerFactory()
    now = timezone.now()
    SignalFactory(customer=customer, kind="old", occurred_at=now - dt.timedelta(days=9))
    SignalFactory(customer=customer, kind="new", occurred_at=now - dt.timedelta(hours=1))
    client.force_login(agent)

    signals = client.get(reverse("customer", args=[customer.external_id])).context["signals"]

    assert [signal["kind"] for signal in signals] == ["new", "old"]


def test_unknown_customer_is_404(client, agent):
    client.force_login(agent)

    assert client.get(reverse("customer", args=["nobody"])).status_code == 404


def test_queries_do_not_grow_with_the_signals(client, agent):
    few, many = CustomerFactory(), CustomerFactory()
    SignalFactory(customer=few)
    SignalFactory.create_batch(60, customer=many)
    client.force_login(agent)

    def queries(customer):
        client.get(reverse("customer", args=[customer.external_id]))  # a first visit may store the stage
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("customer", args=[customer.external_id]))
        assert response.status_code == 200
        return len(captured), response

    few_queries, _ = queries(few)
    many_queries, response = queries(many)

    assert many_queries == few_queries
    assert len(response.context["signals"]) == 50
