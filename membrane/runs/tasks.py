"""Celery tasks of the runs: each loads or claims its work and calls a service; safe to run twice.

Their names are those they had in membrane.tasks, which beat's schedule and queued messages use.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from cxcore.selectors import customers_changed
from membrane.actions.services import actions_sync
from membrane.models import EvaluationRun

from .services import stages_evaluate_all, stages_evaluate_changed
from .stalled import evaluation_runs_resume_stalled


@shared_task(name="membrane.tasks.reevaluate_changed")
def reevaluate_changed() -> int:
    """Customers with new signals, brought up to now in event time; then their prescribed actions follow."""
    # One `at` for both, so that customers whose signals arrive meanwhile are left whole to the next run.
    at = timezone.now()
    changed = list(customers_changed(at=at).values_list("pk", flat=True))
    run = stages_evaluate_changed(at=at)
    # A customer the run could not evaluate (it says which) cannot be synced either: the others are.
    skipped = {entry["id"] for entry in run.skipped_customers}
    actions_sync(customer_ids=[pk for pk in changed if pk not in skipped], at=at)
    return run.pk


@shared_task(name="membrane.tasks.resume_stalled_runs")
def resume_stalled_runs() -> dict:
    """Full runs whose worker stopped are queued again; other interrupted runs are closed as failed."""
    resumed, closed = evaluation_runs_resume_stalled()
    return {"resumed": resumed, "closed": closed}


@shared_task(name="membrane.tasks.reevaluate_all")
def reevaluate_all(run_id: int | None = None) -> int | None:
    """Everyone as of now, set-based; with `run_id`, continues that run where it stopped.

    Chunks already done are skipped and every chunk is idempotent, so a redelivered or repeated
    task finishes the run without losing or duplicating a transition.
    """
    if run_id is None:
        run = stages_evaluate_all()
    else:
        run = EvaluationRun.objects.filter(pk=run_id).first()
        if run is None:
            return None
        run = stages_evaluate_all(run=run)
    actions_sync(at=run.as_of)  # time alone opens and closes tasks: more than three days in crisis
    return run.pk
