"""Runs whose worker stopped (killed, its machine gone): a full run is resumed, any other is closed as failed.

A running run gives a beat at every chunk it commits (heartbeat_at). One silent for longer than
settings.RUN_STALLED_AFTER_SECONDS was interrupted: nothing it committed is lost, and nothing is
stored twice when it goes on, since every chunk is idempotent and recorded with the run. So a full
run is queued again, to finish as of its own time; an incremental run is not (its customers are
still marked changed, and the next one takes them), nor is a replay step (the replay command is
run again), and these are closed as failed with the reason. Beat calls this every few minutes.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from membrane.models import EvaluationRun
from membrane.models.stages import EvaluationRunKind, RunOutcome, stalled_before

from .services import full_run_queued, run_finish


def evaluation_runs_stalled(*, now: dt.datetime | None = None):
    return EvaluationRun.objects.alias(last_seen=Coalesce("heartbeat_at", "started_at")).filter(
        outcome=RunOutcome.RUNNING, last_seen__lt=stalled_before(now)
    )


def evaluation_runs_resume_stalled(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Queues every stalled full run again and closes the other stalled runs as failed; returns (resumed ids,
    closed ids). A run resumed here gets a beat now, so the next sweep leaves it to its new worker."""
    now = now or timezone.now()
    with transaction.atomic():
        stalled = list(evaluation_runs_stalled(now=now).select_for_update(skip_locked=True).order_by("pk"))
        resumed = [run.pk for run in stalled if run.kind == EvaluationRunKind.FULL]
        EvaluationRun.objects.filter(pk__in=resumed).update(heartbeat_at=now)
        closed = []
        for run in stalled:
            if run.kind == EvaluationRunKind.FULL:
                continue
            what_next = (
                "run the replay again" if run.kind == EvaluationRunKind.REPLAY else "the next run takes its customers"
            )
            error = f"interrupted: no progress since {run.last_seen_at:%Y-%m-%d %H:%M:%S} UTC; {what_next}"
            run_finish(run=run, outcome=RunOutcome.FAILED, error=error, at=run.last_seen_at)
            closed.append(run.pk)
        for pk in resumed:
            transaction.on_commit(lambda pk=pk: full_run_queued.send(sender=EvaluationRun, run_id=pk))
    return resumed, closed
