"""A run whose worker stopped is found by its silence: a full run is queued again and finishes where it stopped;
an incremental or replay run is closed as failed with the reason; a run still beating is left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from config.celery import app as celery_app
from cxcore.factories import CustomerFactory, SignalFactory
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import _evaluate_chunk, evaluation_run_start
from membrane.runs.stalled import evaluation_runs_resume_stalled
from membrane.stages.rules import published_ruleset

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def running(kind: str, *, silent_for: dt.timedelta, **fields) -> EvaluationRun:
    last = timezone.now() - silent_for
    return EvaluationRun.objects.create(kind=kind, as_of=last, started_at=last, heartbeat_at=last, **fields)


@override_settings(RUN_STALLED_AFTER_SECONDS=600)
def test_stalled_runs_are_resumed_or_closed_and_live_ones_left_alone(django_capture_on_commit_callbacks):
    full = running("full", silent_for=11 * MINUTE)
    changed = running("changed", silent_for=30 * MINUTE)
    replay = running("replay", silent_for=11 * MINUTE)
    beating = running("full", silent_for=2 * MINUTE)
    finished = running("full", silent_for=60 * MINUTE, outcome="succeeded")

    with django_capture_on_commit_callbacks() as queued:
        resumed, closed = evaluation_runs_resume_stalled()

    assert resumed == [full.pk] and len(queued) == 1
    assert sorted(closed) == sorted([changed.pk, replay.pk])
    changed.refresh_from_db()
    assert changed.outcome == "failed" and "the next run takes its customers" in changed.error
    assert changed.finished_at == changed.heartbeat_at
    replay.refresh_from_db()
    assert "run the replay again" in replay.error
    for run in (beating, finished):
        assert EvaluationRun.objects.get(pk=run.pk).outcome == run.outcome
    full.refresh_from_db()
    assert full.outcome == "running" and full.heartbeat_at > timezone.now() - MINUTE
    assert evaluation_runs_resume_stalled() == ([], [])  # its new beat: the next sweep leaves it alone


@pytest.fixture
def tasks_run_where_queued():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@override_settings(RUN_STALLED_AFTER_SECONDS=600)
def test_a_resumed_full_run_finishes_with_every_customer_once(
    tasks_run_where_queued, django_capture_on_commit_callbacks
):
    now = timezone.now()
    for n in range(6):
        SignalFactory(
            customer=CustomerFactory(external_id=f"S-{n}"),
            kind="purchase",
            occurred_at=now - n * 50 * dt.timedelta(days=1),
        )
    run = evaluation_run_start(as_of=now, chunk_size=2)
    _evaluate_chunk(run=run, k=0, lo=run.first_id, hi=run.first_id + 1, ruleset=published_ruleset())
    EvaluationRun.objects.filter(pk=run.pk).update(heartbeat_at=now - 20 * MINUTE)  # then its worker died

    with django_capture_on_commit_callbacks(execute=True):
        evaluation_runs_resume_stalled()

    run.refresh_from_db()
    assert (run.outcome, run.chunks_done, run.customers, run.transitions) == ("succeeded", 3, 6, 6)
    assert CustomerStage.objects.count() == StageTransition.objects.count() == 6


def test_a_chunk_another_worker_recorded_meanwhile_is_not_counted_twice():
    now = timezone.now()
    SignalFactory(customer=CustomerFactory(external_id="S-1"), kind="purchase", occurred_at=now)
    run = evaluation_run_start(as_of=now)
    EvaluationRun.objects.filter(pk=run.pk).update(done_chunks=[0], chunks_done=1, customers=1, transitions=1)

    _evaluate_chunk(run=run, k=0, lo=run.first_id, hi=run.last_id, ruleset=published_ruleset())

    run.refresh_from_db()
    assert (run.done_chunks, run.chunks_done, run.customers, run.transitions) == ([0], 1, 1, 1)
    assert StageTransition.objects.count() == 1  # the work itself is idempotent: done once, whoever does it
