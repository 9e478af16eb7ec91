"""Replaying a past period: a stage history for imported (or corrected) data."""

from __future__ import annotations

import datetime as dt

from django.db.models import Value
from django.db.models.functions import Coalesce, Least

from cxcore.models import Customer
from membrane.models import EvaluationRun

from .services import stages_evaluate_changed


def stages_replay_event_time(*, since: dt.datetime, until: dt.datetime) -> EvaluationRun:
    """Re-evaluates every customer in event time from `since` up to `until`.

    Marking everyone as changed since `since` reuses the incremental path, which drops the
    transitions at or after that time and places the new ones at the instants they happened
    (signals, window ends, day thresholds of the rules): the history is what it would have been had
    the signals arrived on time, in one pass rather than one set-based run per step.
    """
    Customer.objects.update(dirty_since=Least(Coalesce("dirty_since", Value(since)), Value(since)))
    return stages_evaluate_changed(at=until)
