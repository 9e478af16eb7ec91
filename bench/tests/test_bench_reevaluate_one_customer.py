"""`bench reevaluate`'s per-customer phase times the worker's incremental run as of now over exactly the one
customer that got a new signal dated now, for a long history and a short one, and leaves neither behind."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from bench.reevaluate_one import LONG_TAG, SHORT_SIGNALS, SHORT_TAG, measure_one_customer
from cxcore.models import Customer, CustomerChange, Signal
from membrane.models import EvaluationRun, StageTransition

pytestmark = pytest.mark.django_db


def test_each_sample_evaluates_the_one_changed_customer_as_of_now_and_neither_stays():
    if connection.vendor != "postgresql":
        pytest.skip("the phase generates its customers in PostgreSQL's SQL")
    started = timezone.now()

    figures = measure_one_customer(long_signals=300, samples=3)

    assert [figure.label for figure in figures] == ["300 signals", f"{SHORT_SIGNALS} signals"]
    assert all(len(figure.samples_ms) == 3 and min(figure.samples_ms) > 0 for figure in figures)
    assert [figure.signals for figure in figures] == [300 + 4, SHORT_SIGNALS + 4]
    # Every new signal was taken by a run of one customer, as of now: after the signal, not ahead of the clock.
    assert not CustomerChange.objects.exists()
    runs = list(EvaluationRun.objects.order_by("pk"))
    assert len(runs) == 2 * 4
    assert all(run.customers == 1 and started <= run.as_of <= run.started_at for run in runs)
    assert not Customer.objects.filter(external_id__in=[LONG_TAG, SHORT_TAG]).exists()
    assert not Signal.objects.exists()
    assert not StageTransition.objects.exists()
