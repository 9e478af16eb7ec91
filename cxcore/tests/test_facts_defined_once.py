"""A fact is one definition: a new one is computed in Python and set-based, and both agree, with nothing else written.

The facts below are registered for the test only (they have no stored column): their set-based
values are read straight from the statement's SELECT, as the stored row would give them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.facts import catalogue
from cxcore.facts.catalogue import CXCORE_FACTS, FactDef, register
from cxcore.facts.days import DayCount, epoch_us
from cxcore.facts.folds import CountInWindow, DaysSinceLatest
from cxcore.facts.per_customer import signal_rows, summarise
from cxcore.facts.set_based import facts_params, facts_select, stored_facts_sql
from cxcore.facts.sql import Dialect
from cxcore.models import Customer, CustomerFacts, Direction, Signal, SignalKind

pytestmark = pytest.mark.django_db

NEW_FACTS = (
    FactDef("complaints_14d", "int", "Complaints in the last 14 days.", 1, CountInWindow((SignalKind.COMPLAINT,), 14)),
    FactDef(
        "inbound_contacts_or_purchases_3d",
        "int",
        "Inbound contacts and purchases in the last 3 days.",
        2,
        CountInWindow((SignalKind.CONTACT, SignalKind.PURCHASE), 3, direction=Direction.IN),
    ),
    FactDef(
        "days_since_last_reopening",
        "int",
        "Days since a ticket was last reopened; null if never.",
        6,
        DaysSinceLatest((SignalKind.TICKET_REOPENED,)),
        nullable=True,
    ),
)
DAY, US = dt.timedelta(days=1), dt.timedelta(microseconds=1)
EDGES = [days * DAY + jitter for days in (0, -1, -3, -14, -15) for jitter in (-US, dt.timedelta(0), US)]
AT = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def new_facts(monkeypatch):
    monkeypatch.setattr(catalogue, "_registry", dict(catalogue._registry))
    for fact in NEW_FACTS:
        register(fact)
    return NEW_FACTS


def set_based_facts(customer: Customer, at: dt.datetime, facts: tuple[FactDef, ...]) -> tuple[dict, int | None]:
    """The facts at `at` as the set-based statement computes them (and the instant its row would expire)."""
    vendor = connection.vendor
    ctes, select = facts_select(vendor, scope="ids", facts=facts)
    reads = stored_facts_sql(vendor, "f", facts=facts)
    params = facts_params(vendor, at=at, facts=facts) | {"ids": Dialect(vendor).ids_param([customer.pk])}
    columns = ", ".join(f"{sql} AS {name}" for name, sql in reads.items())
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} SELECT f.valid_until_us, {columns} FROM ({select}) f", params)
        valid_until_us, *values = cursor.fetchone()
    # A day count comes as its microseconds: it reads as the DayCount Python counts.
    days = {fact.name for fact in facts if fact.counts_days}
    values = [DayCount(v) if name in days and v is not None else v for name, v in zip(reads, values, strict=True)]
    return dict(zip(reads, values, strict=True)), valid_until_us


def python_facts(customer: Customer, at: dt.datetime, facts: tuple[FactDef, ...]) -> dict:
    summary = summarise(signal_rows(customer=customer, at=at), at=at)
    return {fact.name: fact.fold.python(customer, summary, at) for fact in facts}


signals = st.lists(
    st.tuples(
        st.sampled_from(["complaint", "contact", "purchase", "ticket_reopened", "note"]),
        st.sampled_from(["in", "out"]),
        st.one_of(st.sampled_from(EDGES), st.timedeltas(min_value=-20 * DAY, max_value=DAY)),
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(signals=signals)
def test_registered_facts_agree_both_ways_and_expire_when_a_count_changes(new_facts, signals):
    customer = Customer.objects.create(external_id="new-facts")
    try:
        Signal.objects.bulk_create(
            Signal(
                customer=customer,
                kind=kind,
                direction=direction,
                occurred_at=AT + offset,
                received_at=AT,
                source="test",
                idempotency_key=str(n),
            )
            for n, (kind, direction, offset) in enumerate(signals)
        )
        in_sql, valid_until_us = set_based_facts(customer, AT, new_facts)
        assert in_sql == python_facts(customer, AT, new_facts)
        # Until its row expires, the counts stay those of T.
        counts = [fact for fact in new_facts if not fact.counts_days]
        for later in (AT + step for step in (US, DAY - US, DAY, 3 * DAY, 14 * DAY, 15 * DAY)):
            if valid_until_us is None or epoch_us(later) < valid_until_us:
                assert python_facts(customer, later, counts) == {fact.name: in_sql[fact.name] for fact in counts}
    finally:
        customer.delete()


def test_the_new_facts_join_the_catalogue_with_their_clocks(new_facts):
    assert catalogue.all_facts()[-len(new_facts) :] == new_facts
    complaints, contacts, reopening = (catalogue.get(fact.name) for fact in new_facts)
    assert (complaints.window_days, complaints.clock_from) == (14, ("complaint",))
    assert (contacts.window_days, contacts.clock_from) == (3, ("contact", "purchase"))
    assert (reopening.counts_days, reopening.clock_from) == (True, ("ticket_reopened",))


def test_the_stored_columns_are_made_from_the_definitions():
    columns = [field.column for field in CustomerFacts._meta.concrete_fields]
    assert columns[columns.index("valid_until_us") + 1 :] == [fact.column for fact in CXCORE_FACTS]
