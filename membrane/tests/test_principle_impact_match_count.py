"""The live match count of a condition agrees with evaluating it customer by customer, as a decision would."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer
from membrane.decisions.facts import customer_row
from membrane.decisions.values import DecisionInputs
from membrane.principles.conditions import ConditionError, condition_compile
from membrane.principles.impact import condition_match_count
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import NOW
from .test_actions_set_based_agreement import random_customer

CONDITIONS = [
    'stage in ["crisis", "at_risk"] and open_tickets > 0',
    "open_tickets >= 1 or tickets_resolved_30d > 0",
    'stage == "onboarding"',
    "days_since_last_contact == null or days_since_last_contact > 20",
    "local_hour >= 9 and local_hour < 17",
    'weekday != "sunday" and not (open_tickets > 0)',
    'team == "cx"',
    "true",
]


@pytest.fixture
def population(db):
    rng = random.Random(14)
    for n in range(30):
        random_customer(rng, f"mc-{n}")
    Customer.objects.filter(external_id__endswith="3").update(timezone="Asia/Tokyo")
    Customer.objects.filter(external_id__endswith="7").update(timezone="America/Los_Angeles")
    stages_evaluate_all(as_of=NOW, chunk_size=7)


def per_customer(condition: str, at) -> int:
    """Each customer's facts as a decision reads them; what bringing them up to `at` writes is rolled back."""
    predicate = condition_compile(condition).predicate
    with transaction.atomic():
        count = sum(
            1
            for customer in Customer.objects.all()
            if predicate(customer_row(inputs=DecisionInputs(customer), at=at)[0])
        )
        transaction.set_rollback(True)
    return count


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=st.sampled_from(CONDITIONS), hours=st.integers(min_value=0, max_value=47))
def test_match_count_agrees_with_each_customer_evaluated(population, condition, hours):
    at = NOW + dt.timedelta(hours=hours)
    assert condition_match_count(condition=condition, at=at) == per_customer(condition, at)


def test_invalid_condition_is_refused(db):
    with pytest.raises(ConditionError) as raised:
        condition_match_count(condition="open_tickets >")
    assert raised.value.problems
    with pytest.raises(ConditionError):
        condition_match_count(condition='stage == "no_such_stage"')
    with pytest.raises(ConditionError):
        condition_match_count(condition=42)
