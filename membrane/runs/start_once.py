"""A full run asked for from the console: at most one queued or running at a time, however often it is asked.

"Start a full run" pressed twice (a double click, a second manager, a resubmitted form) answers with the
run already under way instead of queueing another that would evaluate every customer again beside it.
The check and the insert run under one lock: PostgreSQL's transaction-level advisory lock, so two
requests at once queue one run; SQLite lets one writer at a time, so there the second waits for the first.

A stage rules publish keeps queueing its own run (runs.services.evaluation_run_queue): a run that started
before the publish evaluates with the rules it read then, and the new rules need a run of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from membrane.models import EvaluationRun
from membrane.models.stages import EvaluationRunKind, RunOutcome

from .services import evaluation_run_queue

# Any fixed 64-bit number, the same in every process: the lock of "queue a console full run".
_LOCK_KEY = 0x6D656D6272616E65  # "membrane"


@dataclass(frozen=True)
class RunRequest:
    run: EvaluationRun
    created: bool  # False: the run was already queued or running, and no other was started


def full_run_under_way() -> EvaluationRun | None:
    """The full run queued or running, if any (a queued run is `running` without a beat yet)."""
    runs = EvaluationRun.objects.filter(kind=EvaluationRunKind.FULL, outcome=RunOutcome.RUNNING)
    return runs.order_by("-started_at", "-id").first()


def evaluation_run_request(*, user) -> RunRequest:
    """Queues a full run as of now unless one is queued or running; either way, the run that will do it."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        else:
            # Takes SQLite's write lock now, so a second request waits here rather than after its read.
            EvaluationRun.objects.filter(pk=-1).update(error="")
        if (run := full_run_under_way()) is not None:
            return RunRequest(run=run, created=False)
        return RunRequest(run=evaluation_run_queue(user=user), created=True)
