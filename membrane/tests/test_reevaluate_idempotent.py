"""Runs are idempotent and safe to interrupt: nothing lost, nothing duplicated."""

from __future__ import annotations

import pytest
from django.db import connection

import membrane.runs.services
from cxcore.models import Customer
from cxcore.services import customer_changes_fold
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import evaluation_run_start, stages_evaluate_all, stages_evaluate_changed

from .stage_helpers import DAY, NOW, ingest, ticket


def population():
    for n in range(12):
        ingest(f"p{n}", "purchase", NOW - (5 + 20 * n) * DAY, amount="10.00")
        if n % 3 == 0:
            ticket(f"p{n}", "T1", NOW - (n + 1) * DAY)
    customer_changes_fold()
    Customer.objects.update(dirty_since=None)


def outcome():
    transitions = sorted(StageTransition.objects.values_list("customer__external_id", "from_stage", "to_stage", "at"))
    stages = sorted(CustomerStage.objects.values_list("customer__external_id", "stage", "since", "evaluated_through"))
    return transitions, stages


def test_running_twice_writes_nothing_twice(db):
    population()
    first = stages_evaluate_all(as_of=NOW, chunk_size=4)
    after_first = outcome()
    second = stages_evaluate_all(as_of=NOW, chunk_size=4)

    assert outcome() == after_first
    assert (first.outcome, first.customers, second.customers, second.transitions) == ("succeeded", 12, 0, 0)
    assert first.transitions == len(after_first[0]) == 12
    assert {stage for _, stage, _, _ in after_first[1]} >= {"crisis", "active", "dormant"}


def test_a_run_interrupted_after_one_chunk_then_resumed_equals_an_uninterrupted_one(db, monkeypatch):
    population()
    stages_evaluate_all(as_of=NOW, chunk_size=4)
    uninterrupted = outcome()
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()

    evaluate = membrane.runs.services.stages_evaluate_range
    calls = []

    def crash_on_second_chunk(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return evaluate(**kwargs)

    monkeypatch.setattr(membrane.runs.services, "stages_evaluate_range", crash_on_second_chunk)
    run = evaluation_run_start(as_of=NOW, chunk_size=4)
    with pytest.raises(RuntimeError):
        stages_evaluate_all(run=run)
    run.refresh_from_db()
    assert (run.outcome, run.chunks_done, run.chunks_total) == ("failed", 1, 3)
    assert CustomerStage.objects.count() == 4

    stages_evaluate_all(run=run)
    run.refresh_from_db()

    assert outcome() == uninterrupted
    assert (run.outcome, run.chunks_done, run.customers, run.transitions) == ("succeeded", 3, 12, 12)


def test_the_incremental_run_claims_dirty_customers_and_clears_them(db):
    population()
    ticket("p1", "T9", NOW - 2 * DAY)
    ticket("p2", "T9", NOW - 3 * DAY, resolved=NOW - DAY)

    run = stages_evaluate_changed(at=NOW)
    again = stages_evaluate_changed(at=NOW)

    assert (run.outcome, run.customers, again.customers) == ("succeeded", 2, 0)
    assert not Customer.objects.filter(dirty_since__isnull=False).exists()
    assert CustomerStage.objects.get(customer__external_id="p1").stage == "crisis"
    assert EvaluationRun.objects.filter(kind="changed").count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_run_that_computed_most_facts_again_leaves_fresh_planner_statistics(db):
    population()
    stages_evaluate_all(as_of=NOW, chunk_size=4)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class"
            " WHERE relname IN ('cxcore_customerfacts', 'membrane_customerstage')"
        )
        assert dict(cursor.fetchall()) == {"cxcore_customerfacts": 12, "membrane_customerstage": 12}
