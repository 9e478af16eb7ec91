"""Reads of evaluation runs that pages share: the latest runs, and what one run changed."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from membrane.models import EvaluationRun, StageTransition
from membrane.models.stages import EvaluationRunKind, RunOutcome

RUNS_SHOWN = 50
RUN_CHANGES_SHOWN = 50


def evaluation_runs_recent(*, limit: int = RUNS_SHOWN) -> QuerySet[EvaluationRun]:
    """The latest runs, leaving out incremental runs that found nobody to evaluate.

    Every ingest batch queues an incremental run; most find their customers already claimed by the
    previous one, and a page of empty rows would hide the runs that did something.
    """
    empty = Q(kind=EvaluationRunKind.CHANGED, customers=0, outcome=RunOutcome.SUCCEEDED)
    return EvaluationRun.objects.exclude(empty).select_related("started_by").order_by("-started_at", "-id")[:limit]


def evaluation_run_changes(*, run: EvaluationRun, limit: int = RUN_CHANGES_SHOWN) -> dict[str, Any]:
    """What a run changed: its transitions counted by (from, to), most frequent first, and the latest
    `limit` of them with their customers."""
    transitions = StageTransition.objects.filter(run_id=run.pk)
    flows = (
        transitions.order_by()
        .values("from_stage", "to_stage")
        .annotate(n=Count("id"))
        .order_by("-n", "from_stage", "to_stage")
    )
    latest = transitions.select_related("customer").order_by("-at", "-id")[:limit]
    return {"flows": list(flows), "transitions": list(latest)}


def evaluation_runs_any_running(*, runs) -> bool:
    return any(run.outcome == RunOutcome.RUNNING for run in runs)
