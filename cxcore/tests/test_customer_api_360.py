"""GET /api/v1/customers/{external_id}: the 360° view, as of now or a past time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxcore import selectors
from cxcore.factories import CustomerFactory, SignalFactory

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def customer(db):
    return CustomerFactory(external_id="M-1", consent={"email": True, "sms": False})


def add_signals(customer, n: int, kind: str = "complaint", start: dt.datetime = T0):
    for i in range(n):
        SignalFactory(customer=customer, kind=kind, occurred_at=start + dt.timedelta(hours=i))


def test_the_view_holds_profile_consent_counts_and_recent_signals(api, make_token, customer):
    add_signals(customer, 55, "complaint")
    add_signals(customer, 2, "purchase", start=T0 + dt.timedelta(days=30))

    response = api(make_token("read")).get("/api/v1/customers/M-1")

    assert response.status_code == 200
    view = response.json()
    assert view["profile"]["external_id"] == "M-1"
    assert view["consent"] == {
        "email": True,
        "sms": False,
        "push": False,
        "phone": False,
        "in_app": False,
        "letter": False,
    }
    assert view["signal_counts"] == {"complaint": 55, "purchase": 2}
    recent = view["recent_signals"]
    assert len(recent) == 50
    assert [s["kind"] for s in recent[:2]] == ["purchase", "purchase"]
    times = [s["occurred_at"] for s in recent]
    assert times == sorted(times, reverse=True)


def test_the_view_as_of_a_past_time_ignores_later_signals(api, make_token, customer):
    add_signals(customer, 3, "complaint")
    add_signals(customer, 1, "purchase", start=T0 + dt.timedelta(days=30))

    view = api(make_token("read")).get("/api/v1/customers/M-1", at="2024-05-02T00:00:00Z").json()

    assert view["signal_counts"] == {"complaint": 3}
    assert view["as_of"].startswith("2024-05-02T00:00:00")


def test_a_bad_at_is_a_400(api, make_token, customer):
    response = api(make_token("read")).get("/api/v1/customers/M-1", at="2024-05-02")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "at"


def test_an_unknown_customer_is_a_404(api, make_token, db):
    assert api(make_token("read")).get("/api/v1/customers/nobody").status_code == 404


def test_reading_needs_the_read_scope_or_a_console_role(api, make_token, client, agent, outsider, customer):
    assert api(None).get("/api/v1/customers/M-1").status_code == 401
    assert api(make_token("ingest")).get("/api/v1/customers/M-1").status_code == 403
    client.force_login(agent)
    assert client.get("/api/v1/customers/M-1").status_code == 200
    client.force_login(outsider)
    assert client.get("/api/v1/customers/M-1").status_code == 403


def test_queries_do_not_grow_with_the_signals(customer):
    add_signals(customer, 3)
    selectors.customer_360(customer=customer)  # warms the vocabulary cache
    with CaptureQueriesContext(connection) as few:
        selectors.customer_360(customer=customer)
    add_signals(customer, 60)
    with CaptureQueriesContext(connection) as many:
        selectors.customer_360(customer=customer)

    # cxcore 3, the membrane's stage, facts and stage history 7 (the facts: their checkpoint, then the signals
    # after it), its may-we matrix and open actions 4 (it brings the stage up and reads the facts again: a
    # contributor cannot see what another one read), the open tickets an ETA can be given for 1, journeys'
    # planned campaigns 2 (the campaign lists holding the customer, the scheduled campaigns: none is).
    assert len(many) == len(few) <= 17


def test_other_apps_contribute_parts_of_the_view(customer):
    def stage(*, customer, at):
        return {"stage": {"key": "active", "customer": customer.external_id, "as_of": at}}

    selectors.customer_360_contributor(stage)
    try:
        view = selectors.customer_360(customer=customer, at=T0)
    finally:
        selectors._contributors.remove(stage)

    assert view["stage"] == {"key": "active", "customer": "M-1", "as_of": T0}
