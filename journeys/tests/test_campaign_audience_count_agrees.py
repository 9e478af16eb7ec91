"""An audience counted, listed and joined as raw SQL names the customers a decision's facts say it holds for."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer, CustomerFacts
from journeys.audiences import audience_check, audience_count, audience_filter_sql, audience_members
from membrane.decisions.facts import customer_row
from membrane.decisions.values import DecisionInputs
from membrane.principles.conditions import ConditionError, condition_compile
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import NOW
from membrane.tests.test_actions_set_based_agreement import random_customer

AUDIENCES = [
    'stage in ["crisis", "at_risk"] and open_tickets > 0',
    "open_tickets >= 1 or tickets_resolved_30d > 0",
    'stage == "onboarding"',
    "days_since_last_contact == null or days_since_last_contact > 20",
    "true",
]


@pytest.fixture
def population(db):
    rng = random.Random(16)
    for n in range(30):
        random_customer(rng, f"au-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=10)


def each_customer(expression: str, at) -> set[int]:
    """The customers whose facts, as a decision reads them at `at`, the expression holds for (rolled back)."""
    predicate = condition_compile(expression).predicate
    with transaction.atomic():
        ids = {c.pk for c in Customer.objects.all() if predicate(customer_row(inputs=DecisionInputs(c), at=at)[0])}
        transaction.set_rollback(True)
    return ids


def joined(expression: str, at) -> set[int]:
    predicate, params = audience_filter_sql(expression=expression, at=at, alias="cf")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cf.customer_id FROM {CustomerFacts._meta.db_table} cf WHERE {predicate}", params)
        return {row[0] for row in cursor.fetchall()}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expression=st.sampled_from(AUDIENCES), hours=st.integers(min_value=0, max_value=47))
def test_count_members_and_sql_agree_with_each_customer(population, expression, hours):
    at = NOW + dt.timedelta(hours=hours)
    expected = each_customer(expression, at)
    assert audience_count(expression=expression, at=at) == len(expected)
    assert set(audience_members(expression=expression, at=at).values_list("customer_id", flat=True)) == expected
    assert joined(expression, at) == expected


def test_an_audience_reads_no_interaction(db):
    with pytest.raises(ConditionError) as raised:
        audience_check('channel == "email"')
    assert raised.value.problems[0].line == 1


def test_a_typo_is_refused_with_a_suggestion(db):
    with pytest.raises(ConditionError) as raised:
        audience_count(expression="open_tikets > 0")
    problem = raised.value.problems[0]
    assert (problem.line, problem.column) == (1, 1)
    assert "open_tickets" in (problem.suggestion or "")
