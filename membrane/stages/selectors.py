"""Reads of the stage history and of evaluation runs that pages share."""

from __future__ import annotations

from django.db.models import QuerySet

from membrane.models import EvaluationRun
from membrane.models.stages import RunOutcome

RUNS_SHOWN = 50


def evaluation_runs_recent(*, limit: int = RUNS_SHOWN) -> QuerySet[EvaluationRun]:
    return EvaluationRun.objects.select_related("started_by").order_by("-started_at", "-id")[:limit]


def evaluation_runs_any_running(runs) -> bool:
    return any(run.outcome == RunOutcome.RUNNING for run in runs)
