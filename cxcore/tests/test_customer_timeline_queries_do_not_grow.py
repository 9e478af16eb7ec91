"""The customer page, its timeline fragments and the signals API make as many queries for a customer with
10,000 signals as for one with 20, on any page of the timeline and with any filter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxcore import selectors
from cxcore.factories import CustomerFactory
from cxcore.models import Signal

T0 = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
KINDS = ("purchase", "contact", "complaint", "ticket_opened", "ticket_resolved", "survey_response")
CHANNELS = ("", "email", "sms", "phone")
TEAMS = ("", "cx", "service", "sales")


def customer_with(n: int, external_id: str):
    customer = CustomerFactory(external_id=external_id)
    Signal.objects.bulk_create(
        (
            Signal(
                customer=customer,
                kind=KINDS[i % len(KINDS)],
                channel=CHANNELS[i % len(CHANNELS)],
                team=TEAMS[i % 3],
                ticket_ref=f"T-{i // 2}" if KINDS[i % len(KINDS)].startswith("ticket") else "",
                occurred_at=T0 + dt.timedelta(hours=(i * 26_000) // n),  # three years, some instants shared
                received_at=T0,
                source="test",
                idempotency_key=f"{external_id}-{i}",
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    return customer


@pytest.fixture(scope="module")
def few_and_many(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        few, many = customer_with(20, "FEW-20"), customer_with(10_000, "MANY-10K")
    yield few, many
    with django_db_blocker.unblock():
        Signal.objects.filter(customer__in=[few, many]).delete()
        few.delete()
        many.delete()


@pytest.fixture(autouse=True)
def _vocabularies_kept(monkeypatch):
    """The vocabularies' cache reloads on a clock (and at most once a second on a key it lacks, such as
    this data's team "sales"), not by history: a reload falling inside one measurement is not a query the
    history made."""
    monkeypatch.setattr("cxcore.selectors._RELOAD_AFTER_S", 1e9)
    monkeypatch.setattr("cxcore.selectors._RELOAD_ON_MISS_AFTER_S", 1e9)
    monkeypatch.setattr(selectors.vocabulary_keys, "__kwdefaults__", {"max_age": 1e9})


def count_queries(get) -> tuple[int, object]:
    get()  # a first visit may store the stage brought up to now; the second is the steady state
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200
    return len(captured), response


# The newest page, filters, and a later page. In one test: the first visit of the 10,000-signal page
# brings the stage up from the whole history (the membrane's part), which takes a minute on SQLite.
QUERIES = ["", "?kind=complaint,purchase&channel=sms", "?team=service", "?kind=purchase&before={cursor}"]


@pytest.mark.django_db
def test_the_page_makes_the_same_queries_for_10000_signals_as_for_20(client, agent, few_and_many):
    client.force_login(agent)
    counts: dict[str, list[int]] = {query: [] for query in QUERIES}
    for customer in few_and_many:
        newest = Signal.objects.filter(customer=customer).order_by("-occurred_at", "-id").first()
        cursor = f"{int(newest.occurred_at.timestamp() * 1_000_000)}_{newest.pk}"
        for query in QUERIES:
            url = reverse("customer", args=[customer.external_id]) + query.format(cursor=cursor)
            queries, response = count_queries(lambda url=url: client.get(url))
            counts[query].append(queries)
            assert 0 < len(response.context["signals"]) <= 50, url

    assert all(few == many for few, many in counts.values()), counts


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["timeline", "timeline-more"])
def test_the_timeline_fragments_make_the_same_queries(client, agent, few_and_many, target):
    client.force_login(agent)
    headers = {"HX-Request": "true", "HX-Target": target}
    counts = [
        count_queries(lambda c=c: client.get(reverse("customer", args=[c.external_id]), headers=headers))[0]
        for c in few_and_many
    ]

    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_signals_api_makes_the_same_queries(api, make_token, few_and_many):
    reader = api(make_token("read"))
    counts = [
        count_queries(lambda c=c: reader.get(f"/api/v1/customers/{c.external_id}/signals", kind="complaint"))[0]
        for c in few_and_many
    ]

    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_last_page_of_10000_signals_is_reached(api, make_token, few_and_many):
    _, many = few_and_many
    reader = api(make_token("read"))
    seen, params = 0, {"limit": "200"}
    while True:
        body = reader.get(f"/api/v1/customers/{many.external_id}/signals", **params).json()
        seen += len(body["signals"])
        if body["next"] is None:
            break
        params["before"] = body["next"]

    assert seen == 10_000
