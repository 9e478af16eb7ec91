"""Property: the stored facts row event time writes for a changed customer from their checkpoint (issue 15) is the
row cxcore's set-based statement computes over all their signals, at random times, with signals arriving late
(dated before what was evaluated) and a customer created before or after their first signal."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.facts.set_based import facts_compute_all
from cxcore.models import Customer, CustomerFacts
from cxcore.selectors import customer_changes_since, earliest_of
from membrane.stages.one_customer import stage_bring_up_to
from membrane.tests.stage_helpers import ingest, publish_rules

from .test_decision_incremental_equals_full_history import RULES, batch
from .test_decision_incremental_equals_full_history import _item as item_of

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)


def _row(customer: Customer) -> dict:
    row = model_to_dict(CustomerFacts.objects.get(customer=customer))
    del row["computed_at"]
    return row


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(batch, min_size=1, max_size=6),
    created_hours=st.integers(min_value=-24 * 5, max_value=24 * 30),
    minutes=st.lists(st.integers(min_value=0, max_value=24 * 60 - 1), min_size=6, max_size=6),
)
def test_the_row_from_the_checkpoint_is_the_statements_row(batches, created_hours, minutes):
    publish_rules(RULES)
    customer = Customer.objects.create(external_id="ROW-1")
    # Created up to 30 days after the first batch's instant: its tenure may begin after what is evaluated.
    Customer.objects.filter(pk=customer.pk).update(created_at=T0 + dt.timedelta(hours=created_hours))
    try:
        at = T0
        for (days, signals), extra in zip(batches, minutes, strict=False):
            at += dt.timedelta(days=days, minutes=extra)
            for spec in signals:
                item = item_of(spec, at)
                ingest("ROW-1", item.pop("kind"), item.pop("at"), **item)
            customer.refresh_from_db()
            queued = Customer.objects.filter(pk=customer.pk).values_list(customer_changes_since("pk"), flat=True)
            # Event time writes the row of a customer changed up to `at` (a signal dated later waits for it).
            dirty = earliest_of(customer.dirty_since, queued.get())
            changed = dirty is not None and dirty <= at
            # The statement over all signals is not what writes the row of a customer evaluated up to `at`.
            with mock.patch("membrane.stages.history.facts_compute_all", side_effect=AssertionError):
                stage_bring_up_to(customer=customer, at=at)
            if not changed:
                continue
            from_checkpoint = _row(customer)
            assert from_checkpoint["as_of"] == at
            facts_compute_all(at=at, customer_ids=[customer.pk])
            assert from_checkpoint == _row(customer), at
    finally:
        Customer.objects.all().delete()
