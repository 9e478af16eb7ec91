"""Arbitration never gives one customer two colliding campaigns, a campaign keeps only customers it will reach
(consent, principles, caps), and the set-based counts agree with it."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer
from journeys.arbitration import arbitration_summary, collide, customer_assignments, lost_to, rank
from journeys.memberships import memberships_of
from journeys.preview import preview_members
from membrane.tests.stage_helpers import NOW

from .conflicts_support import AUDIENCES, campaign, population

PLANS = st.lists(
    st.tuples(
        st.sampled_from(AUDIENCES),
        # marketing needs consent to email, which a third of the customers lack; service updates do not.
        st.sampled_from(["marketing", "service_update"]),
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
    for n, customer in enumerate(Customer.objects.order_by("pk")):
        customer.consent = {"email": n % 3 != 0}
        customer.save(update_fields=["consent"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=PLANS)
def test_no_customer_is_kept_by_two_colliding_campaigns(customers, plans):
    with transaction.atomic():
        campaigns = [
            campaign(f"c{n}", audience=audience, category=category, start_day=start, days=days, priority=priority)
            for n, (audience, category, start, days, priority) in enumerate(plans)
        ]
        by_id = {c.pk: c for c in campaigns}
        assignments = customer_assignments(campaigns=campaigns, at=NOW)
        assert set(assignments) == set(memberships_of(campaigns=campaigns, at=NOW))
        reached: Counter = Counter()
        lost: Counter = Counter()
        for outcome in assignments.values():
            reached.update(list(outcome))
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
            assert summary[c.pk]["kept"] + sum(expected.values()) == reached[c.pk]
            assert summary[c.pk]["audience"] - summary[c.pk]["suppressed"] == reached[c.pk]
            assert {row["campaign"]: row["customers"] for row in lost_to(c, at=NOW)} == expected
        transaction.set_rollback(True)


def _reached(c) -> int:
    """How many customers the campaign reaches alone (its audience less those the membrane holds back)."""
    return sum(c.pk in outcome for outcome in customer_assignments(campaigns=[c], at=NOW).values())


def test_priority_then_earlier_start_then_lower_id(customers):
    low = campaign("low", priority=1, start_day=0)
    high = campaign("high", priority=5, start_day=3)
    late_tie = campaign("late tie", priority=1, start_day=2)
    audience = _reached(low)
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
    audience = _reached(draft)
    assert lost_to(draft, at=NOW) == [{"campaign": scheduled.pk, "customers": audience}]
    assert lost_to(scheduled, at=NOW) == []


def test_a_campaign_loses_only_customers_both_campaigns_reach(customers):
    """The winner keeps only those it will contact: the marketing campaign (consent needed) of higher priority
    takes from the service update only the customers who consented; the rest the service update keeps."""
    high = campaign("high", category="marketing", priority=5)
    low = campaign("low", category="service_update", priority=1)
    at = low.starts_at
    allowed = {c: {m["customer"] for m in preview_members(campaign=c) if m["verdict"] == "allow"} for c in (high, low)}
    assert allowed[high] and allowed[low] - allowed[high]
    assert lost_to(low, at=at) == [{"campaign": high.pk, "customers": len(allowed[high] & allowed[low])}]
    assert lost_to(high, at=at) == []
