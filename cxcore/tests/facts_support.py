"""Shared by the fact tests: compute a customer's facts both ways and insist they agree."""

from __future__ import annotations

import datetime as dt

from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.selectors import stored_facts_at
from cxcore.facts.set_based import facts_compute_all
from cxcore.models import Customer

T = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)


def stored_facts(customer: Customer, at: dt.datetime = T) -> dict:
    return stored_facts_at(at=at, customer_ids=[customer.pk])[customer.pk]


def facts_both_ways(customer: Customer, at: dt.datetime = T) -> dict:
    """The facts of `customer` as of `at`, after checking that Python and the set-based SQL agree."""
    customer.refresh_from_db()
    in_python = facts_for_customer(customer=customer, at=at)
    assert facts_compute_all(at=at, customer_ids=[customer.pk]) == 1
    assert stored_facts(customer, at) == in_python
    return in_python
