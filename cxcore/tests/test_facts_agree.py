"""Property: for random customers and signals, the Python facts equal the set-based rows exactly.

Both sides compute every fact of the catalogue from its definition, so a fact is covered from the
moment it is defined.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.selectors import stored_facts_at
from cxcore.facts.set_based import facts_compute_all
from cxcore.models import Customer, CustomerFacts, Signal

pytestmark = pytest.mark.django_db

KINDS = [
    "ticket_opened",
    "ticket_reopened",
    "ticket_resolved",
    "ticket_eta_given",
    "complaint",
    "purchase",
    "survey_response",
    "contact",
    "note",
]
US = dt.timedelta(microseconds=1)
# Offsets from T on the edges of every window, a microsecond either side included.
EDGES = [dt.timedelta(days=d) for d in (0, -1, -7, -30, -90, -91)]
# Later times at which the rows computed at T are read again: the windows' edges and beyond.
WINDOW_ENDS = [dt.timedelta(days=d) + jitter for d in (1, 7, 30, 90) for jitter in (-US, dt.timedelta(0))]
LATER = [dt.timedelta(0), US, dt.timedelta(hours=5), *WINDOW_ENDS, dt.timedelta(days=400)]
EDGE_OFFSETS = [edge + jitter for edge in EDGES for jitter in (-US, dt.timedelta(0), US)] + [dt.timedelta(days=1)]

times_at = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC))
offsets = st.one_of(
    st.sampled_from(EDGE_OFFSETS),
    st.integers(min_value=-120, max_value=1).map(lambda days: dt.timedelta(days=days)),
    st.timedeltas(min_value=dt.timedelta(days=-200), max_value=dt.timedelta(days=2)),
)


@st.composite
def populations(draw):
    """Customers whose signals mostly share a few instants, so that same-instant ties come up often."""
    instants = draw(st.lists(offsets, min_size=1, max_size=4))
    offset = st.one_of(st.sampled_from(instants), st.sampled_from(EDGE_OFFSETS), offsets)
    signal = st.fixed_dictionaries(
        {
            "kind": st.sampled_from(KINDS),
            "offset": offset,
            "direction": st.sampled_from(["in", "out"]),
            "ticket_ref": st.sampled_from(["", "A", "B"]),
            "issue_key": st.sampled_from(["", "wifi", "power"]),
            "severity": st.sampled_from(["", "low", "normal", "high"]),
            "score": st.one_of(st.none(), st.decimals(min_value=-1, max_value=12, places=2)),
            "scale": st.one_of(st.none(), st.sampled_from([0, 3, 5, 7, 10])),
        }
    )
    customer = st.fixed_dictionaries(
        {
            "created_offset": offset,
            "segment": st.sampled_from(["", "smb", "enterprise"]),
            "lifetime_value": st.decimals(min_value=0, max_value=10**9, places=2),
            "signals": st.lists(signal, max_size=25),
        }
    )
    return draw(st.lists(customer, min_size=1, max_size=4))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# by_range: as a full run computes a chunk (on PostgreSQL, grouped as the rows stream off the index).
@given(at=times_at, customers=populations(), by_range=st.booleans())
def test_python_and_set_based_facts_agree(at, customers, by_range):
    made = []
    for n, spec in enumerate(customers):
        customer = Customer.objects.create(
            external_id=f"P{n}", segment=spec["segment"], lifetime_value=spec["lifetime_value"]
        )
        Customer.objects.filter(pk=customer.pk).update(created_at=at + spec["created_offset"])
        Signal.objects.bulk_create(
            Signal(
                customer=customer,
                kind=s["kind"],
                direction=s["direction"],
                occurred_at=at + s["offset"],
                received_at=at,
                ticket_ref=s["ticket_ref"],
                issue_key=s["issue_key"],
                severity=s["severity"],
                score=s["score"],
                scale=s["scale"],
                source="prop",
                idempotency_key=f"{n}-{i}",
            )
            for i, s in enumerate(spec["signals"])
        )
        made.append(customer)
    try:
        if by_range:
            written = facts_compute_all(at=at, id_range=(made[0].pk, made[-1].pk + 1))
        else:
            written = facts_compute_all(at=at)
        assert written == len(made)
        stored = stored_facts_at(at=at)
        for customer in made:
            customer.refresh_from_db()
            assert stored[customer.pk] == facts_for_customer(customer=customer, at=at)
        # Read later, a row gives the facts of that time for as long as it says it is valid.
        for later in (at + step for step in LATER):
            valid = stored_facts_at(at=later)
            for customer in made:
                if customer.pk in valid:
                    assert valid[customer.pk] == facts_for_customer(customer=customer, at=later), later
        assert CustomerFacts.objects.filter(as_of=at).count() == len(made)
    finally:
        Customer.objects.all().delete()


def test_the_largest_lifetime_value_generated_above_is_stored_as_it_is():
    customer = Customer.objects.create(external_id="X", lifetime_value=Decimal("999999999.99"))
    facts_compute_all(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert CustomerFacts.objects.get(pk=customer.pk).lifetime_value == Decimal("999999999.99")
