"""A full run reuses the stored facts that time and new signals left valid: the outcome is the one of a
run that computes every customer's facts again from all their signals."""

from __future__ import annotations

import random

import pytest
from django.db import transaction

from cxcore.facts.selectors import stored_facts_at
from cxcore.models import Customer, CustomerChange, CustomerFacts
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import DAY, NOW, ingest
from .test_stage_set_based_agreement import random_customer

HOUR = DAY / 24
# Scheduled runs over a month, some a day apart, some across a window's edge, one twice at a time.
RUNS = [NOW - 40 * DAY, NOW - 39 * DAY, NOW - 38 * DAY + HOUR, NOW - 31 * DAY, NOW - 10 * DAY, NOW - 10 * DAY, NOW]


TRANSITIONS = StageTransition.objects.order_by("customer_id", "at")


class Rollback(Exception):
    pass


def outcome(*, cold: bool) -> tuple:
    """Runs RUNS (a late signal arriving in between) and returns what they stored, then undoes it all."""
    try:
        with transaction.atomic():
            # As after the incremental run: the signals are evaluated (the late one below is not).
            CustomerChange.objects.all().delete()
            Customer.objects.update(dirty_since=None)
            reused = []
            for n, as_of in enumerate(RUNS):
                if n == 4:
                    ingest("r3", "complaint", NOW - 12 * DAY)
                if cold:
                    CustomerFacts.objects.all().delete()
                before = set(CustomerFacts.objects.values_list("customer_id", "computed_at"))
                stages_evaluate_all(as_of=as_of, chunk_size=9)
                kept = before & set(CustomerFacts.objects.values_list("customer_id", "computed_at"))
                reused.append(len(kept))
            result = (
                list(TRANSITIONS.values_list("customer_id", "to_stage", "at")),
                list(CustomerStage.objects.order_by("customer_id").values_list("customer_id", "stage", "since")),
                stored_facts_at(at=NOW),
                reused,
            )
            raise Rollback
    except Rollback:
        return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_reusing_stored_facts_ends_where_one_computing_everything_again_does(db, seed):
    rng = random.Random(seed)
    for n in range(30):
        random_customer(rng, f"r{n}", horizon_days=rng.choice([20, 60, 200]))
    reused = outcome(cold=False)
    again = outcome(cold=True)
    assert reused[:3] == again[:3]
    assert len(reused[2]) == Customer.objects.count()
    # Most rows were reused by the runs after the first, and none by the cold ones.
    assert sum(reused[3]) > len(RUNS) * 30 // 2 and sum(again[3]) == 0
