"""Ingesting creates unknown customers, marks them dirty from their earliest new signal, and tells listeners."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cxcore.factories import CustomerFactory
from cxcore.hooks import signals_ingested
from cxcore.ingest import signals_ingest
from cxcore.models import Customer, Signal
from cxcore.schemas import InvalidInput
from cxcore.selectors import customer_dirty_since
from cxcore.services import customer_changes_fold

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


def at(hours: float) -> str:
    return (T0 + dt.timedelta(hours=hours)).isoformat()


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, customer_ids, **kwargs):
        calls.append(sorted(customer_ids))

    signals_ingested.connect(receiver)
    yield calls
    signals_ingested.disconnect(receiver)


def test_unknown_customers_are_created_and_fields_are_stored(db):
    result = signals_ingest(
        items=[
            {
                "customer": "NEW-1",
                "kind": "ticket_opened",
                "occurred_at": "2024-05-01T11:00:00+02:00",
                "ticket_ref": "T-1",
                "issue_key": "terminal",
                "severity": "high",
                "channel": "phone",
                "team": "service",
                "category": "agent_contact",
                "direction": "out",
                "eta": "2024-05-03T12:00:00Z",
                "amount": 12.5,
                "score": 7,
                "scale": 10,
                "payload": {"note": "déjà vu"},
            }
        ],
        source="helpdesk",
    )

    assert result.accepted == 1 and result.duplicates == 0
    signal = Signal.objects.get()
    assert signal.customer.external_id == "NEW-1"
    assert signal.occurred_at == T0
    assert signal.eta == dt.datetime(2024, 5, 3, 12, tzinfo=dt.UTC)
    assert (signal.ticket_ref, signal.issue_key, signal.severity) == ("T-1", "terminal", "high")
    assert (signal.channel, signal.team, signal.category, signal.direction) == (
        "phone",
        "service",
        "agent_contact",
        "out",
    )
    assert (signal.amount, signal.score, signal.scale) == (Decimal("12.50"), Decimal("7.00"), 10)
    assert signal.payload == {"note": "déjà vu"}
    assert signal.source == "helpdesk" and signal.idempotency_key.startswith("sha256:")


def test_dirty_since_is_the_earliest_new_signal_and_never_moves_later(db):
    known = CustomerFactory(external_id="K", dirty_since=T0 + dt.timedelta(hours=5))

    signals_ingest(
        items=[
            {"customer": "K", "kind": "complaint", "occurred_at": at(3)},
            {"customer": "K", "kind": "complaint", "occurred_at": at(8)},
            {"customer": "N", "kind": "complaint", "occurred_at": at(2)},
        ],
        source="s",
    )
    signals_ingest(items=[{"customer": "K", "kind": "complaint", "occurred_at": at(4)}], source="s")

    assert customer_dirty_since(customer_id=known.pk) == T0 + dt.timedelta(hours=3)
    assert customer_dirty_since(customer_id=Customer.objects.get(external_id="N").pk) == T0 + dt.timedelta(hours=2)


def test_folding_moves_the_queued_changes_into_dirty_since(db):
    known = CustomerFactory(external_id="K", dirty_since=T0 + dt.timedelta(hours=5))
    signals_ingest(items=[{"customer": "K", "kind": "complaint", "occurred_at": at(3)}], source="s")
    signals_ingest(items=[{"customer": "K", "kind": "complaint", "occurred_at": at(1)}], source="s")

    assert customer_changes_fold() == {known.pk: T0 + dt.timedelta(hours=1)}

    known.refresh_from_db()
    assert known.dirty_since == T0 + dt.timedelta(hours=1)
    assert customer_dirty_since(customer_id=known.pk) == T0 + dt.timedelta(hours=1)
    assert customer_changes_fold() == {}


def test_duplicates_do_not_mark_a_customer_dirty(db):
    item = {"customer": "K", "kind": "complaint", "occurred_at": at(1)}
    signals_ingest(items=[item], source="s")
    customer_changes_fold()
    Customer.objects.update(dirty_since=None)

    signals_ingest(items=[item], source="s")

    assert customer_dirty_since(customer_id=Customer.objects.get().pk) is None


def test_listeners_hear_the_customers_after_commit(db, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signals_ingest(
            items=[
                {"customer": "A", "kind": "complaint", "occurred_at": at(1)},
                {"customer": "B", "kind": "complaint", "occurred_at": at(1)},
            ],
            source="s",
        )
        assert heard == []  # not before the commit

    assert heard == [sorted(Customer.objects.values_list("id", flat=True))]


def test_a_failing_listener_does_not_fail_the_batch(db, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("boom")

    signals_ingested.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = signals_ingest(items=[{"customer": "A", "kind": "x", "occurred_at": at(1)}], source="s")
    finally:
        signals_ingested.disconnect(broken)

    assert result.accepted == 1


def test_nothing_is_announced_for_an_invalid_or_duplicate_batch(db, heard, django_capture_on_commit_callbacks):
    item = {"customer": "A", "kind": "complaint", "occurred_at": at(1)}
    signals_ingest(items=[item], source="s")

    with django_capture_on_commit_callbacks(execute=True):
        signals_ingest(items=[item], source="s")
        with pytest.raises(InvalidInput):
            signals_ingest(items=[item, {"customer": "A"}], source="s")

    assert heard == []
