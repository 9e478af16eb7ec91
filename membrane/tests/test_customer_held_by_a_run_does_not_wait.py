"""While a run holds a customer (PostgreSQL: their row locked for its whole batch, seconds under load), a
request about that customer does not wait for the batch to commit: a view record (whose foreign key reads
the row) is written at once, and the customer's stage is worked out without being stored; the run stores
it when it commits. bench load found the 360° page waiting up to 20 s behind the worker (issue 18)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

import membrane.stages.event_time
from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import CustomerChange, CustomerViewRecord
from membrane.models import CustomerStage, EvaluationRun
from membrane.runs.services import stages_evaluate_changed
from membrane.stages.one_customer import stage_bring_up_to

from .stage_helpers import DAY, NOW

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks to wait for")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_goes_on_while_a_run_holds_the_customer(monkeypatch):
    customer = CustomerFactory(external_id="held")
    SignalFactory.create_batch(3, customer=customer, kind="purchase", occurred_at=NOW - 3 * DAY)
    SignalFactory(customer=customer, kind="ticket_opened", ticket_ref="T1", occurred_at=NOW - 2 * DAY)
    CustomerChange.objects.create(customer=customer, since=NOW - 3 * DAY)

    # The run's replay stands for a long batch: it lasts until the request has been answered.
    replaying, answered = threading.Event(), threading.Event()
    replay = membrane.stages.event_time._replay_customer

    def first_replay_waits(**kwargs):
        if not replaying.is_set():
            replaying.set()
            answered.wait(timeout=15)
        return replay(**kwargs)

    monkeypatch.setattr(membrane.stages.event_time, "_replay_customer", first_replay_waits)
    runs, failures = [], []

    def worker():
        try:
            runs.append(stages_evaluate_changed(at=NOW))
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            replaying.set()
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert replaying.wait(timeout=15)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait fails here instead of passing slowly
        try:
            CustomerViewRecord.objects.create(customer=customer, viewer="anna", via="page")
            state = stage_bring_up_to(customer=customer, at=NOW)
            stored_meanwhile = CustomerStage.objects.filter(customer=customer).exists()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    finally:
        answered.set()
        thread.join(timeout=30)

    assert not failures
    assert state.stage == "crisis"
    assert not stored_meanwhile  # worked out, not stored: the run holds the customer
    (run,) = runs
    assert (run.outcome, run.customers) == ("succeeded", 1)
    assert CustomerStage.objects.get(customer=customer).stage == state.stage
    assert EvaluationRun.objects.count() == 1
