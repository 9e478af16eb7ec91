"""Reads of the stage history and of evaluation runs that pages share."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from membrane.models import EvaluationRun
from membrane.models.stages import EvaluationRunKind, RunOutcome

RUNS_SHOWN = 50


def evaluation_runs_recent(*, limit: int = RUNS_SHOWN) -> QuerySet[EvaluationRun]:
    """The latest runs, leaving out incremental runs that found nobody to evaluate.

    Every ingest batch queues an incremental run; most find their customers already claimed by the
    previous one, and a page of empty rows would hide the runs that did something.
    """
    empty = Q(kind=EvaluationRunKind.CHANGED, customers=0, outcome=RunOutcome.SUCCEEDED)
    return EvaluationRun.objects.exclude(empty).select_related("started_by").order_by("-started_at", "-id")[:limit]


def evaluation_runs_any_running(runs) -> bool:
    return any(run.outcome == RunOutcome.RUNNING for run in runs)


def customer_stage_360(*, customer, at) -> dict:
    """The membrane's part of the 360° view: the stage brought up to `at`, and every fact at `at`.

    Registered with cxcore's customer_360, which cannot import the membrane.
    """
    from cxcore.facts.per_customer import facts_for_customer

    from .services import stage_bring_up_to

    state = stage_bring_up_to(customer=customer, at=at)
    facts = {
        "stage": state.stage,
        "previous_stage": state.previous_stage,
        "days_in_stage": state.days_in_stage,
        **facts_for_customer(customer=customer, at=at),
    }
    return {
        "stage": {
            "stage": state.stage,
            "since": state.since,
            "previous_stage": state.previous_stage,
            "days_in_stage": state.days_in_stage,
        },
        "facts": facts,
    }
