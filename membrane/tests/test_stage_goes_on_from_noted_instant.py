"""A customer brought up to date from their checkpoint before the next instant noted with it reads only the
signals after it (not those a clock counts from, months of them for a long history), and the history and the
next instant it notes are the ones derived from the start: also when a new signal moves the stage (whose own
instants then need the clocks of the signals before), at random times, on PostgreSQL, where a decision's
bring-up reads the stored stage with the notes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import membrane.stages.event_time as event_time
from cxcore.models import Customer, CustomerFoldState
from membrane.models import CustomerStage, StageTransition
from membrane.stages.one_customer import stage_bring_up_to
from membrane.tests.stage_helpers import ingest, publish_rules

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
RULES = [
    ("crisis", "complaints_30d >= 2 or open_high_severity_tickets > 0"),
    ("at_risk", "days_since_last_purchase > 45 and tenure_days > 30"),
    ("loyal", "purchases_90d >= 3"),
]


@pytest.fixture
def reads(monkeypatch):
    """Each signal read's bounds, per customer: (after, clocks) of its ReadFrom."""
    if connection.vendor != "postgresql":
        pytest.skip("the stored stage is read with its notes on the locked path, PostgreSQL's")
    seen = []
    read = event_time.signal_rows

    def signal_rows(**kwargs):
        seen.extend((b.after, b.clocks) for b in (kwargs.get("since") or {}).values() if b is not None)
        return read(**kwargs)

    monkeypatch.setattr(event_time, "signal_rows", signal_rows)
    return seen


def _state(customer: Customer) -> tuple:
    transitions = StageTransition.objects.filter(customer=customer).order_by("at")
    stage = CustomerStage.objects.get(customer=customer)
    noted = CustomerFoldState.objects.get(customer=customer).next_instant_us
    return list(transitions.values_list("from_stage", "to_stage", "at")), (stage.stage, stage.since), noted


def _from_the_start(customer: Customer, at: dt.datetime) -> tuple:
    StageTransition.objects.filter(customer=customer).delete()
    CustomerStage.objects.filter(customer=customer).delete()
    CustomerFoldState.objects.filter(customer=customer).delete()
    stage_bring_up_to(customer=customer, at=at)
    return _state(customer)


def _customer() -> Customer:
    customer = Customer.objects.create(external_id="Q-1")
    Customer.objects.filter(pk=customer.pk).update(created_at=T0 - dt.timedelta(days=400))
    customer.refresh_from_db()
    return customer


def test_a_new_signal_before_the_noted_instant_reads_only_the_signals_after_the_checkpoint(reads):
    publish_rules(RULES)
    customer = _customer()
    for days in (200, 120, 60, 20):  # purchases whose clocks (45, 90 days) lie ahead
        ingest("Q-1", "purchase", T0 - dt.timedelta(days=days), amount="10.00")
    stage_bring_up_to(customer=customer, at=T0)
    reads.clear()

    ingest("Q-1", "complaint", T0 + HOUR)
    stage_bring_up_to(customer=customer, at=T0 + 2 * HOUR)
    quiet = [(after, clocks) for after, clocks in reads if after == clocks]
    assert quiet, reads
    # A second complaint moves the stage: the clocks of the signals before are read for its next instant.
    ingest("Q-1", "complaint", T0 + 3 * HOUR)
    stage_bring_up_to(customer=customer, at=T0 + 4 * HOUR)
    stepwise = _state(customer)
    assert stepwise[1][0] == "crisis"

    assert _from_the_start(customer, T0 + 4 * HOUR) == stepwise


step = st.tuples(
    st.integers(min_value=1, max_value=24 * 50),  # hours to the next bring-up
    st.lists(st.sampled_from(["purchase", "complaint", "ticket_opened", "ticket_resolved", "contact"]), max_size=2),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_step_by_step_from_noted_instants_is_the_history_from_the_start(reads, steps):
    publish_rules(RULES)
    customer = _customer()
    try:
        ingest("Q-1", "purchase", T0 - dt.timedelta(days=100), amount="10.00")
        at = T0
        stage_bring_up_to(customer=customer, at=at)
        for hours, kinds in steps:
            for i, kind in enumerate(kinds, start=1):
                fields = {"amount": "10.00"} if kind == "purchase" else {}
                if kind.startswith("ticket_"):
                    fields = {"ticket_ref": "A", **({"severity": "high"} if kind == "ticket_opened" else {})}
                ingest("Q-1", kind, at + i * dt.timedelta(hours=hours) / (len(kinds) + 1), **fields)
            at += dt.timedelta(hours=hours)
            customer.refresh_from_db()
            stage_bring_up_to(customer=customer, at=at)
        stepwise = _state(customer)
        transitions, stage, noted = _from_the_start(customer, at)
        assert (transitions, stage) == stepwise[:2]
        # The note is the next instant, or an earlier one (a bound: no instant before it).
        assert stepwise[2] is not None and noted is not None and stepwise[2] <= noted
    finally:
        Customer.objects.all().delete()
