"""A range with no stored facts rows (a cold run's chunk) is inserted, not upserted: the rows are the facts all
the same, and a row another connection stored meanwhile is replaced rather than failing the chunk."""

from __future__ import annotations

import datetime as dt

import pytest

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.selectors import stored_facts_at
from cxcore.facts.set_based import facts_compute_all, facts_refresh
from cxcore.models import CustomerFacts

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _customers() -> list:
    made = []
    for n in range(4):
        customer = CustomerFactory(created_at=T - 400 * DAY)
        SignalFactory(customer=customer, kind="purchase", occurred_at=T - (n + 1) * 10 * DAY)
        SignalFactory(customer=customer, kind="ticket_opened", ticket_ref=f"R{n}", occurred_at=T - n * DAY - DAY)
        SignalFactory(customer=customer, kind="complaint", occurred_at=T - 2 * DAY)
        made.append(customer)
    return made


def _assert_facts_at_t(made: list) -> None:
    stored = stored_facts_at(at=T)
    for customer in made:
        customer.refresh_from_db()
        assert stored[customer.pk] == facts_for_customer(customer=customer, at=T)
    assert CustomerFacts.objects.filter(as_of=T).count() == len(made)


def test_a_range_with_nothing_stored_gets_every_customers_facts():
    made = _customers()
    id_range = (made[0].pk, made[-1].pk + 1)

    assert facts_refresh(at=T, id_range=id_range) == len(made)

    _assert_facts_at_t(made)


def test_a_row_stored_meanwhile_is_replaced_not_a_failure():
    made = _customers()
    # Stored after the caller found none (as the event-time path may, on another connection), as of earlier.
    facts_compute_all(at=T - 30 * DAY, customer_ids=[made[1].pk])

    written = facts_compute_all(at=T, id_range=(made[0].pk, made[-1].pk + 1), none_stored=True)

    assert written == len(made)
    _assert_facts_at_t(made)
