"""The set-based projection of every customer's stage to a later time (membrane.stages.projection) gives each one
the stage, since and previous stage that event time works out for them, one customer at a time, with nothing new
arriving: on random customers, several rule sets (chains, days_in_stage, the stage held before, windows leaving)
and times from the last run up to a year ahead; and it stores nothing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed
from membrane.stages.event_time import _evaluate
from membrane.stages.projection import stages_projected_to
from membrane.stages.rules import published_ruleset
from membrane.tests.stage_helpers import DAY, NOW, ingest, publish_rules
from membrane.tests.test_actions_set_based_agreement import random_customer

RULE_SETS = {
    "default": None,
    # at_risk ages into dormant, dormant into lost: a chain time alone follows.
    "chain": [
        ("crisis", "open_tickets > 0"),
        ("lost", 'stage == "dormant" and days_in_stage >= 30'),
        ("dormant", 'stage in ["at_risk", "dormant"] and days_in_stage > 20.5'),
        ("at_risk", "days_since_last_purchase > 40 or purchases_90d == 0"),
        ("active", "true"),
    ],
    # A stage the rules do not keep as it begins (seen again a day later), and whole-day comparisons.
    "unsettled": [
        ("crisis", 'open_tickets > 0 and stage != "crisis"'),
        ("calm", 'stage == "crisis" and days_in_stage == 2'),
        ("loyal", "purchases_90d >= 2 or tenure_days == 500"),
        ("dormant", 'previous_stage == "loyal" and days_since_last_purchase >= 95'),
    ],
    # Windows leaving one by one: complaints and resolutions in 30 days, recurrences in 90.
    "windows": [
        ("at_risk", "max_issue_recurrence_90d >= 2 and complaints_30d == 0"),
        ("crisis", "complaints_30d >= 1 or tickets_resolved_30d >= 2"),
        ("loyal", 'stage == "at_risk" and days_in_stage >= 10'),
    ],
}


@pytest.fixture
def population(db):
    rng = random.Random(1606)
    with time_machine.travel(NOW, tick=False):
        for n in range(16):
            random_customer(rng, f"p-{n}")
            for k in range(rng.choice([0, 0, 1, 3])):
                ingest(f"p-{n}", "complaint", NOW - rng.randint(1, 40 * 24) * DAY / 24, idempotency_key=f"c{n}-{k}")
        stages_evaluate_changed(at=NOW)


def _event_time(at: dt.datetime) -> dict[int, tuple]:
    customers = list(Customer.objects.filter(stage_state__isnull=False).order_by("pk"))
    results = _evaluate(customers=customers, at=at, ruleset=published_ruleset(), run=None, stored=None, taken={})
    return {pk: (s.stage, s.since, s.previous_stage) for pk, s in results.results.items()}


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rules=st.sampled_from(sorted(RULE_SETS)),
    hours=st.integers(min_value=0, max_value=364 * 24),
    minutes=st.sampled_from([0, 1, 37]),
)
@example(rules="default", hours=364 * 24, minutes=0)
@example(rules="chain", hours=120 * 24, minutes=0)
# A customer in and out of crisis every day for eight months: hundreds of rounds.
@example(rules="unsettled", hours=5936, minutes=37)
def test_every_customers_projected_stage_is_event_times(population, rules, hours, minutes):
    at = NOW + dt.timedelta(hours=hours, minutes=minutes)
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        if RULE_SETS[rules] is not None:
            publish_rules(RULE_SETS[rules])
            stages_evaluate_all(as_of=NOW, chunk_size=7)
        stored = list(CustomerStage.objects.order_by("pk").values_list())
        transitions = StageTransition.objects.count()
        expected = _event_time(at)
        with stages_projected_to(at) as changed:
            projected = {
                pk: (stage, since, previous)
                for pk, stage, since, previous in CustomerStage.objects.values_list(
                    "customer_id", "stage", "since", "previous_stage"
                )
            }
        after = list(CustomerStage.objects.order_by("pk").values_list())
        moved = sum(expected[pk][0] != stage for pk, stage, *_ in stored)
        transaction.set_rollback(True)
    assert projected == expected
    assert changed >= moved
    # Nothing stored: the real table is read again afterwards, unchanged, and no transition is written.
    assert after == stored
    assert StageTransition.objects.count() <= transitions


def test_at_risk_today_is_dormant_a_year_ahead(population):
    """The case the preview missed (issue 16): time alone takes customers at risk today to dormant."""
    at = NOW + dt.timedelta(days=364)
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        expected = _event_time(at)
        today = dict(CustomerStage.objects.values_list("customer_id", "stage"))
        with stages_projected_to(at):
            projected = dict(CustomerStage.objects.values_list("customer_id", "stage"))
        transaction.set_rollback(True)
    assert projected == {pk: state[0] for pk, state in expected.items()}
    assert any(today[pk] != "dormant" and projected[pk] == "dormant" for pk in today)
