"""Arbitration never gives one customer two colliding campaigns, and the set-based counts agree with it."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.arbitration import arbitration_summary, collide, customer_assignments, lost_to, rank
from journeys.memberships import memberships_of
from membrane.tests.stage_helpers import NOW

from .conflicts_support import AUDIENCES, campaign, population

PLANS = st.lists(
    st.tuples(
        st.sampled_from(AUDIENCES),
        st.integers(min_value=0, max_value=20),  # start day
        st.integers(min_value=1, max_value=12),  # days
        st.integers(min_value=0, max_value=2),  # priority: ties are common
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture
def customers(db):
    population()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=PLANS)
def test_no_customer_is_kept_by_two_colliding_campaigns(customers, plans):
    with transaction.atomic():
        campaigns = [
            campaign(f"c{n}", audience=audience, start_day=start, days=days, priority=priority)
            for n, (audience, start, days, priority) in enumerate(plans)
        ]
        by_id = {c.pk: c for c in campaigns}
        assignments = customer_assignments(campaigns=campaigns, at=NOW)
        assert set(assignments) == set(memberships_of(campaigns=campaigns, at=NOW))
        lost: Counter = Counter()
        for outcome in assignments.values():
            kept = [by_id[pk] for pk, winner in outcome.items() if winner is None]
            assert not any(collide(a, b) for a in kept for b in kept)
            for pk, winner in outcome.items():
                if winner is None:
                    continue
                # The winner keeps the customer, collides with the loser and outranks it.
                assert outcome[winner] is None
                assert collide(by_id[winner], by_id[pk])
                assert rank(by_id[winner]) < rank(by_id[pk])
                lost[(pk, winner)] += 1
        # The patterns' counts (one GROUP BY) equal the customer-by-customer arbitration.
        summary = arbitration_summary(campaigns=campaigns, at=NOW)
        for c in campaigns:
            expected = {winner: n for (loser, winner), n in lost.items() if loser == c.pk}
            assert dict(summary[c.pk]["lost_to"]) == expected
            assert summary[c.pk]["kept"] + sum(expected.values()) == summary[c.pk]["audience"]
            assert {row["campaign"]: row["customers"] for row in lost_to(c, at=NOW)} == expected
        transaction.set_rollback(True)


def test_priority_then_earlier_start_then_lower_id(customers):
    low = campaign("low", priority=1, start_day=0)
    high = campaign("high", priority=5, start_day=3)
    late_tie = campaign("late tie", priority=1, start_day=2)
    audience = len(memberships_of(campaigns=[low], at=NOW))
    assert audience > 0
    assert lost_to(low, at=NOW) == [{"campaign": high.pk, "customers": audience}]
    assert lost_to(high, at=NOW) == []
    # The tie between low and late tie goes to the earlier start; but high keeps everyone of late tie first.
    assert lost_to(late_tie, at=NOW) == [{"campaign": high.pk, "customers": audience}]


def test_windows_that_only_touch_do_not_collide(customers):
    first = campaign("first", start_day=0, days=5, priority=9)
    second = campaign("second", start_day=5, days=5)
    assert lost_to(second, at=NOW) == []
    assert lost_to(first, at=NOW) == []


def test_a_draft_is_arbitrated_as_if_scheduled_and_cancelled_ones_take_nobody(customers):
    scheduled = campaign("scheduled", priority=3)
    campaign("cancelled", priority=9, status="cancelled")
    draft = campaign("draft", priority=1, status="draft")
    audience = len(memberships_of(campaigns=[draft], at=NOW))
    assert lost_to(draft, at=NOW) == [{"campaign": scheduled.pk, "customers": audience}]
    assert lost_to(scheduled, at=NOW) == []
