"""Customer since: the relationship's start as the source says it (attributes.customer_since), else the first
signal when earlier than the customer's first storing, not the day the row was made; tenure counts from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cxcore.factories import SignalFactory
from cxcore.models import Customer, CustomerChange
from cxcore.schemas import InvalidInput
from cxcore.services import customer_upsert

from .facts_support import DAY, T, facts_both_ways

pytestmark = pytest.mark.django_db
SINCE = dt.datetime(2023, 3, 1, tzinfo=dt.UTC)


def test_the_source_date_is_the_start_the_page_shows_and_tenure_counts_from(client, agent):
    customer, created = customer_upsert(
        external_id="m-1",
        data={"name": "Merchant", "attributes": {"customer_since": "2023-03-01", "device": "card terminal"}},
    )
    SignalFactory(customer=customer, kind="purchase", occurred_at=dt.datetime(2024, 1, 5, tzinfo=dt.UTC))

    assert created and Customer.objects.get(pk=customer.pk).created_at == SINCE
    assert facts_both_ways(customer)["tenure_days"] == (T - SINCE).days
    client.force_login(agent)
    html = client.get(reverse("customer", args=["m-1"])).content.decode()
    assert '<dd data-testid="customer-since">2023-03-01</dd>' in html
    assert "<dt>customer_since</dt>" not in html  # the source's attribute is that row, not listed again below
    assert "<dt>device</dt><dd>card terminal</dd>" in html  # the other attributes still are


def test_without_a_source_date_the_first_signal_is_the_start(client, agent):
    customer, _ = customer_upsert(external_id="m-2", data={"name": "Imported"})
    first = T - 700 * DAY
    SignalFactory(customer=customer, kind="purchase", occurred_at=first)
    SignalFactory(customer=customer, kind="purchase", occurred_at=T - 5 * DAY)

    assert facts_both_ways(customer)["tenure_days"] == 700
    client.force_login(agent)
    html = client.get(reverse("customer", args=["m-2"])).content.decode()
    assert f'<dd data-testid="customer-since">{first:%Y-%m-%d}</dd>' in html


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("01.03.2023", "is not an ISO date"),
        (20230301, "must be an ISO date"),
        ("2023-03-01T09:00:00", "needs its offset"),
        ("2999-01-01", "lies in the future"),
    ],
)
def test_a_bad_source_date_is_refused_and_nothing_stored(value, said):
    with pytest.raises(InvalidInput) as refused:
        customer_upsert(external_id="m-3", data={"name": "X", "attributes": {"customer_since": value}})

    assert refused.value.errors[0]["field"] == "attributes.customer_since"
    assert said in refused.value.errors[0]["message"]
    assert not Customer.objects.filter(external_id="m-3").exists()


def test_moving_the_start_queues_the_customer_from_the_earlier_start():
    customer, _ = customer_upsert(external_id="m-4", data={"attributes": {"customer_since": "2024-06-01"}})
    assert not CustomerChange.objects.filter(customer_id=customer.pk).exists()

    customer_upsert(external_id="m-4", data={"attributes": {"customer_since": "2023-03-01"}})

    assert Customer.objects.get(pk=customer.pk).created_at == SINCE
    assert list(CustomerChange.objects.filter(customer_id=customer.pk).values_list("since", flat=True)) == [SINCE]
    # The same date again changes nothing and queues nothing more.
    customer_upsert(external_id="m-4", data={"attributes": {"customer_since": "2023-03-01"}})
    assert CustomerChange.objects.filter(customer_id=customer.pk).count() == 1
