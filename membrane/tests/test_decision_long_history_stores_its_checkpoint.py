"""A customer with a long history that a full run evaluated (which stores no facts' checkpoint) has one stored by
their first decision, through the event-time writer; the decisions after it read that checkpoint, not the
history, and answer as the whole history does. Short histories and decisions ahead of now write nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from cxcore.facts.per_customer import FACT_PY, facts_for_customer
from cxcore.models import Customer, CustomerFoldState, Signal
from membrane.decisions.facts import CHECKPOINT_AFTER, customer_row
from membrane.decisions.selectors import decision_inputs_read
from membrane.decisions.values import Interaction
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import publish_rules

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
RULES = [
    ("crisis", "open_high_severity_tickets > 0"),
    ("watch", "open_tickets > 3 or complaints_30d >= 2"),
    ("loyal", "purchases_90d >= 3"),
]
ASK = Interaction(team="marketing_devices", category="upsell", channel="email")


def _customer_with_history(external_id: str, signals: int, now: dt.datetime) -> Customer:
    """`signals` signals over the last 400 days, imported as a bulk load is (no re-evaluation queued)."""
    customer = Customer.objects.create(external_id=external_id)
    Customer.objects.filter(pk=customer.pk).update(created_at=now - dt.timedelta(days=500))
    kinds = ["purchase", "contact", "ticket_opened", "ticket_resolved", "complaint", "survey_response", "app_login"]
    rows = []
    for i in range(signals):
        kind = kinds[i % len(kinds)]
        at = now - dt.timedelta(days=400) + i * dt.timedelta(days=400) / signals
        rows.append(
            Signal(
                customer=customer,
                kind=kind,
                direction="out" if kind == "contact" else "in",
                channel="email" if kind == "contact" else "",
                team="sales" if kind == "contact" else "",
                category="marketing" if kind == "contact" else "",
                occurred_at=at,
                received_at=at,
                ticket_ref=f"T{i // 14}" if kind.startswith("ticket_") else "",
                severity="high" if kind == "ticket_opened" and i % 5 == 0 else "",
                amount=Decimal("20.00") if kind == "purchase" else None,
                score=Decimal(i % 11) if kind == "survey_response" else None,
                scale=10 if kind == "survey_response" else None,
                source="import",
                idempotency_key=f"{external_id}-{i}",
            )
        )
    Signal.objects.bulk_create(rows)
    customer.refresh_from_db()
    return customer


def _decide(external_id: str, at: dt.datetime):
    """What a decision at `at` reads: its inputs, the facts its principles read, and the stage."""
    inputs = decision_inputs_read(external_id=external_id, at=at)
    row, stage = customer_row(inputs=inputs, at=at, interaction=ASK)
    return inputs, {name: row[name] for name in FACT_PY}, stage


def test_the_first_decision_stores_the_checkpoint_the_next_ones_read():
    publish_rules(RULES)
    now = timezone.now()
    customer = _customer_with_history("LONG-1", CHECKPOINT_AFTER * 2, now)
    stages_evaluate_all(as_of=now - 3 * HOUR)
    assert not CustomerFoldState.objects.filter(customer=customer).exists()

    first_at = now - 2 * HOUR
    _, facts, stage = _decide("LONG-1", first_at)
    assert CustomerFoldState.objects.get(customer=customer).as_of == first_at
    assert facts == facts_for_customer(customer=customer, at=first_at)

    later = now - HOUR
    inputs, facts, later_stage = _decide("LONG-1", later)
    assert inputs.read.checkpoint is not None and inputs.read.checkpoint.as_of == first_at
    if connection.vendor == "postgresql":
        # Read with the customer: only the signals after the checkpoint, none here.
        assert inputs.read.signals.rows == []
    assert facts == facts_for_customer(customer=customer, at=later)
    assert later_stage == stage
    # The checkpoint is not written again: it holds.
    assert CustomerFoldState.objects.get(customer=customer).as_of == first_at


def test_a_short_history_and_a_decision_ahead_of_now_store_nothing():
    publish_rules(RULES)
    now = timezone.now()
    _customer_with_history("SHORT-1", CHECKPOINT_AFTER // 4, now)
    long = _customer_with_history("LONG-2", CHECKPOINT_AFTER * 2, now)
    stages_evaluate_all(as_of=now - 3 * HOUR)

    _decide("SHORT-1", now - HOUR)
    _decide("LONG-2", now + 24 * HOUR)
    assert not CustomerFoldState.objects.exists()
    _decide("LONG-2", now - HOUR)
    assert CustomerFoldState.objects.filter(customer=long).count() == 1
