"""`bench decisions` generates a population whose history lengths spread as real ones do: most short, a long tail
up to 10,000 signals, and the three customers it prints side by side with exactly 20, 1,000 and 10,000."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.decisions_population import BY_HISTORY, LONGEST, history_lengths, populate
from cxcore.models import Customer, Signal
from membrane.models import CustomerStage

pytestmark = pytest.mark.django_db


def test_most_histories_are_short_with_a_long_tail_and_the_three_are_exact():
    if connection.vendor != "postgresql":
        pytest.skip("the population is generated in PostgreSQL's SQL")

    external_ids, signals = populate(customers=400, now=timezone.now())

    assert len(external_ids) == 400
    assert Signal.objects.count() == signals
    counts = dict(
        Customer.objects.filter(external_id__in=BY_HISTORY.values())
        .annotate(n=Count("signals"))
        .values_list("external_id", "n")
    )
    assert counts == {external_id: n for n, external_id in BY_HISTORY.items()}
    spread = history_lengths()
    assert spread["p50"] < 50 < spread["p99"]
    assert spread["max"] <= LONGEST
    kinds = set(Signal.objects.values_list("kind", flat=True).distinct())
    assert {"contact", "purchase", "ticket_opened", "ticket_resolved", "ticket_eta_given", "survey_response"} <= kinds
    assert Signal.objects.filter(kind="purchase").values("amount").distinct().count() > 100
    # Every customer evaluated, as the scheduled run leaves them.
    assert CustomerStage.objects.count() == Customer.objects.count()
