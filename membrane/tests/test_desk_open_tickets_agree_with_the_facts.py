"""The tickets the desk offers for an ETA are the ones the facts count as open, and without an ETA the same."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.facts.fold_state import facts_at
from cxcore.models import Signal
from membrane.desk.selectors import customer_open_tickets

KINDS = ["ticket_opened", "ticket_reopened", "ticket_resolved", "ticket_eta_given"]
EVENT = st.tuples(
    st.sampled_from(["A", "B"]),
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=3),  # hours ago: few, so equal times are common
    st.booleans(),  # an ETA given names a time, or not
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENT, max_size=12))
def test_open_tickets_agree_with_the_facts(db, events):
    now = timezone.now().replace(microsecond=0)
    customer = CustomerFactory()
    try:
        for ref, kind, hours_ago, names_eta in events:
            at = now - dt.timedelta(hours=hours_ago)
            eta = at + dt.timedelta(days=2) if kind == "ticket_eta_given" and names_eta else None
            SignalFactory(customer=customer, kind=kind, ticket_ref=ref, occurred_at=at, eta=eta)

        tickets = customer_open_tickets(customer_id=customer.pk, at=now)
        facts = facts_at(customer=customer, at=now)

        assert len(tickets) == facts["open_tickets"]
        assert sum(not ticket.has_eta for ticket in tickets) == facts["open_tickets_without_eta"]
        assert all(ticket.has_eta for ticket in tickets) == facts["eta_given"]
    finally:
        Signal.objects.filter(customer=customer).delete()
        customer.delete()
