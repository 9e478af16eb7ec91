"""The incremental run outside a caller's transaction reads signals ahead on a connection of its own
(PostgreSQL): it stores exactly what the run reading on its own connection stores."""

from __future__ import annotations

import random

import pytest
from django.db import connection

import membrane.runs.services
import membrane.stages.event_time
from cxcore.models import Customer, CustomerChange, Signal
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import stages_evaluate_changed

from .stage_helpers import NOW, stored_history
from .test_stage_set_based_agreement import random_customer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second connection sees only committed rows: PostgreSQL only"
)


def requeue() -> None:
    """Forget the history and queue every customer's signals again, as the ingest did."""
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    CustomerChange.objects.bulk_create(
        CustomerChange(customer_id=customer_id, since=occurred_at)
        for customer_id, occurred_at in Signal.objects.values_list("customer_id", "occurred_at")
    )


# Committed for real, so the reader's connection sees them; the seeded stage rules are restored after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reading_ahead_stores_what_reading_in_turn_stores(monkeypatch):
    rng = random.Random(20261125)
    for n in range(23):
        random_customer(rng, f"r{n}", horizon_days=rng.choice([20, 200]))
    assert CustomerChange.objects.exists() and not connection.in_atomic_block
    # Parts of 3 customers in batches of 10: reads run ahead within a batch, across several batches.
    monkeypatch.setattr(membrane.stages.event_time, "READ_AHEAD", 3)
    ahead_reads = []
    reader = membrane.runs.services.SignalReader

    class CountingReader(reader):
        def ahead(self, parts, **how):
            ahead_reads.append(len(parts))
            return super().ahead(parts, **how)

    monkeypatch.setattr(membrane.runs.services, "SignalReader", CountingReader)
    run = stages_evaluate_changed(at=NOW, batch=10)
    read_ahead = stored_history()

    requeue()
    monkeypatch.setattr(membrane.runs.services, "SignalReader", lambda: None)
    in_turn = stages_evaluate_changed(at=NOW, batch=10)

    assert stored_history() == read_ahead
    # 23 customers: batches of 10, 10 and 3; the last is one part, read on the run's own connection.
    assert ahead_reads == [4, 4]
    assert (run.customers, run.outcome) == (in_turn.customers, in_turn.outcome) == (23, "succeeded")
    assert len(read_ahead[0]) >= 23
    assert not CustomerChange.objects.filter(since__lte=NOW).exists()
    assert Customer.objects.count() == 23
    assert EvaluationRun.objects.filter(outcome="succeeded").count() == 2
    assert len({stage for _, stage, *_ in read_ahead[1]}) > 1
