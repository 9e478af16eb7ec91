"""Replaying a past period: a stage history for imported (or corrected) data."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from cxcore.models import Customer, CustomerFoldState, Signal
from cxcore.services import customer_changes_fold
from membrane.models import EvaluationRun
from membrane.models.stages import EvaluationRunKind
from membrane.runs.services import evaluation_run_start, stages_evaluate_all, stages_evaluate_changed


def stages_replay_event_time(*, since: dt.datetime, until: dt.datetime) -> EvaluationRun:
    """Re-evaluates every customer in event time from `since` up to `until`.

    Marking everyone as changed since `since` reuses the incremental path, which drops the
    transitions at or after that time and places the new ones at the instants they happened
    (signals, window ends, day thresholds of the rules): the history is what it would have been had
    the signals arrived on time, in one pass rather than one set-based run per step.
    """
    Customer.objects.update(dirty_since=Least(Coalesce("dirty_since", Value(since)), Value(since)))
    return stages_evaluate_changed(at=until)


def stages_replay(*, since: dt.datetime, until: dt.datetime, step: dt.timedelta) -> list[EvaluationRun]:
    """Set-based runs at since, since + step, ... until: a history for imported data.

    Afterwards the imported signals count as evaluated: dirty_since is cleared for customers who
    received no signal while the replay ran, so the incremental path does not redo them one by one.
    """
    started = timezone.now()
    runs = []
    at = since
    while at <= until:
        run = evaluation_run_start(as_of=at, kind=EvaluationRunKind.REPLAY)
        runs.append(stages_evaluate_all(run=run))
        at += step
    if runs and runs[-1].as_of < until:
        runs.append(stages_evaluate_all(run=evaluation_run_start(as_of=until, kind=EvaluationRunKind.REPLAY)))
    received_since = Signal.objects.filter(customer_id=OuterRef("pk"), received_at__gte=started)
    customer_changes_fold()
    cleared = Customer.objects.filter(dirty_since__lte=until).exclude(Exists(received_since))
    # Their facts' checkpoints were not redone by these runs: without the mark, one could lack a signal.
    CustomerFoldState.objects.filter(customer__in=cleared).delete()
    cleared.update(dirty_since=None)
    return runs
