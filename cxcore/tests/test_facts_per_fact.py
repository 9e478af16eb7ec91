"""Each cxcore fact on hand-made signal histories, computed in Python and set-based (they must agree)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Customer

from .facts_support import DAY, US, T, facts_both_ways

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    c = CustomerFactory(segment="smb", region="north", lifetime_value=Decimal("1250.50"))
    Customer.objects.filter(pk=c.pk).update(created_at=T - 400 * DAY)
    return c


def signal(customer, kind, at, **fields):
    return SignalFactory(customer=customer, kind=kind, occurred_at=at, **fields)


def test_a_customer_without_signals_has_zeros_nulls_and_an_eta(customer):
    facts = facts_both_ways(customer)
    assert facts == {
        "segment": "smb",
        "region": "north",
        "lifetime_value": Decimal("1250.50"),
        "tenure_days": 400,
        "open_tickets": 0,
        "open_high_severity_tickets": 0,
        "days_since_oldest_open_ticket": None,
        "open_tickets_without_eta": 0,
        "eta_given": True,
        "max_issue_recurrence_90d": 0,
        "tickets_resolved_30d": 0,
        "days_since_last_resolution": None,
        "complaints_30d": 0,
        "purchases_90d": 0,
        "days_since_last_purchase": None,
        "last_survey_score": None,
        "contacts_7d": 0,
        "days_since_last_contact": None,
    }


def test_blank_segment_and_region_are_null():
    facts = facts_both_ways(CustomerFactory(segment="", region=""))
    assert (facts["segment"], facts["region"]) == (None, None)


def test_tenure_starts_at_the_earlier_of_creation_and_first_signal(customer):
    signal(customer, "note", T - 500 * DAY + US)
    assert facts_both_ways(customer)["tenure_days"] == 499
    assert facts_both_ways(customer, T - 450 * DAY)["tenure_days"] == 49


def test_tenure_is_null_before_the_customer_began(customer):
    assert facts_both_ways(customer, T - 401 * DAY)["tenure_days"] is None


def test_signals_after_t_are_ignored(customer):
    signal(customer, "ticket_opened", T + US, ticket_ref="A")
    signal(customer, "purchase", T + US)
    signal(customer, "complaint", T + DAY)
    facts = facts_both_ways(customer)
    assert (facts["open_tickets"], facts["purchases_90d"], facts["complaints_30d"]) == (0, 0, 0)
    assert facts["days_since_last_purchase"] is None


def test_a_signal_exactly_at_t_counts(customer):
    signal(customer, "ticket_opened", T, ticket_ref="A")
    signal(customer, "purchase", T)
    facts = facts_both_ways(customer)
    assert (facts["open_tickets"], facts["days_since_oldest_open_ticket"]) == (1, 0)
    assert (facts["purchases_90d"], facts["days_since_last_purchase"]) == (1, 0)


def test_open_resolved_and_reopened_tickets(customer):
    signal(customer, "ticket_opened", T - 10 * DAY, ticket_ref="A")
    signal(customer, "ticket_resolved", T - 8 * DAY, ticket_ref="A")
    signal(customer, "ticket_reopened", T - 3 * DAY - US, ticket_ref="A")
    signal(customer, "ticket_opened", T - 20 * DAY, ticket_ref="B")
    signal(customer, "ticket_resolved", T - 2 * DAY, ticket_ref="B")
    facts = facts_both_ways(customer)
    assert facts["open_tickets"] == 1
    # The reopening restarts the ticket's clock: 3 days and a microsecond, floored.
    assert facts["days_since_oldest_open_ticket"] == 3
    assert facts["tickets_resolved_30d"] == 2
    assert facts["days_since_last_resolution"] == 2
    assert facts_both_ways(customer, T - 5 * DAY)["open_tickets"] == 1
    assert facts_both_ways(customer, T - 5 * DAY)["days_since_oldest_open_ticket"] == 15


def test_a_resolution_at_the_same_instant_as_an_opening_closes_the_ticket(customer):
    signal(customer, "ticket_opened", T - DAY, ticket_ref="A")
    signal(customer, "ticket_resolved", T - DAY, ticket_ref="A")
    assert facts_both_ways(customer)["open_tickets"] == 0


def test_ticket_signals_without_a_ticket_ref_feed_no_fact(customer):
    signal(customer, "ticket_opened", T - DAY, ticket_ref="", issue_key="I", severity="high")
    signal(customer, "ticket_resolved", T - DAY, ticket_ref="")
    facts = facts_both_ways(customer)
    assert facts["open_tickets"] == facts["tickets_resolved_30d"] == facts["max_issue_recurrence_90d"] == 0
    assert facts["days_since_last_resolution"] is None


def test_high_severity_comes_from_the_opening(customer):
    signal(customer, "ticket_opened", T - DAY, ticket_ref="A", severity="high")
    signal(customer, "ticket_opened", T - DAY, ticket_ref="B", severity="normal")
    signal(customer, "ticket_reopened", T - DAY, ticket_ref="C", severity="high")
    facts = facts_both_ways(customer)
    assert (facts["open_tickets"], facts["open_high_severity_tickets"]) == (3, 1)


def test_an_eta_counts_only_since_the_ticket_was_last_opened(customer):
    signal(customer, "ticket_opened", T - 10 * DAY, ticket_ref="A")
    signal(customer, "ticket_eta_given", T - 9 * DAY, ticket_ref="A")
    facts = facts_both_ways(customer)
    assert (facts["open_tickets_without_eta"], facts["eta_given"]) == (0, True)

    signal(customer, "ticket_resolved", T - 5 * DAY, ticket_ref="A")
    signal(customer, "ticket_reopened", T - 4 * DAY, ticket_ref="A")
    facts = facts_both_ways(customer)
    assert (facts["open_tickets_without_eta"], facts["eta_given"]) == (1, False)

    signal(customer, "ticket_eta_given", T - 4 * DAY, ticket_ref="A")  # at the very instant of reopening
    assert facts_both_ways(customer)["eta_given"] is True


def test_an_eta_of_another_ticket_does_not_count(customer):
    signal(customer, "ticket_opened", T - 2 * DAY, ticket_ref="A")
    signal(customer, "ticket_opened", T - 2 * DAY, ticket_ref="B")
    signal(customer, "ticket_eta_given", T - DAY, ticket_ref="B")
    signal(customer, "ticket_eta_given", T + US, ticket_ref="A")
    facts = facts_both_ways(customer)
    assert (facts["open_tickets_without_eta"], facts["eta_given"]) == (1, False)


def test_issue_recurrence_counts_distinct_tickets_in_the_half_open_90_day_window(customer):
    signal(customer, "ticket_opened", T - 90 * DAY, ticket_ref="A", issue_key="wifi")  # just outside
    signal(customer, "ticket_opened", T - 90 * DAY + US, ticket_ref="B", issue_key="wifi")
    signal(customer, "ticket_opened", T - 10 * DAY, ticket_ref="C", issue_key="wifi")
    signal(customer, "ticket_opened", T - 9 * DAY, ticket_ref="C", issue_key="wifi")  # same ticket again
    signal(customer, "ticket_opened", T, ticket_ref="D", issue_key="wifi")
    signal(customer, "ticket_reopened", T - DAY, ticket_ref="A", issue_key="wifi")  # a reopening is no new ticket
    signal(customer, "ticket_opened", T - DAY, ticket_ref="E", issue_key="power")
    signal(customer, "ticket_opened", T - DAY, ticket_ref="F", issue_key="")
    assert facts_both_ways(customer)["max_issue_recurrence_90d"] == 3


def test_windows_of_30_and_90_days_are_half_open(customer):
    signal(customer, "complaint", T - 30 * DAY)
    signal(customer, "complaint", T - 30 * DAY + US)
    signal(customer, "ticket_opened", T - 100 * DAY, ticket_ref="A")
    signal(customer, "ticket_resolved", T - 30 * DAY, ticket_ref="A")
    signal(customer, "purchase", T - 90 * DAY)
    signal(customer, "purchase", T - 90 * DAY + US)
    facts = facts_both_ways(customer)
    assert facts["complaints_30d"] == 1
    assert (facts["tickets_resolved_30d"], facts["days_since_last_resolution"]) == (0, 30)
    assert (facts["purchases_90d"], facts["days_since_last_purchase"]) == (1, 89)


def test_contacts_count_outbound_contacts_of_every_team_in_seven_days(customer):
    signal(customer, "contact", T - 7 * DAY, direction="out", team="sales")
    signal(customer, "contact", T - 7 * DAY + US, direction="out", team="sales")
    signal(customer, "contact", T - DAY, direction="out", team="marketing_devices")
    signal(customer, "contact", T - DAY / 2, direction="in", team="service")
    facts = facts_both_ways(customer)
    assert (facts["contacts_7d"], facts["days_since_last_contact"]) == (2, 1)


@pytest.mark.parametrize(
    ("score", "scale", "expected"),
    [
        ("8", 10, Decimal("8.0")),
        ("2", 3, Decimal("6.7")),
        ("1", 8, Decimal("1.3")),  # 1.25 rounds half up
        ("4.5", 5, Decimal("9.0")),
        ("0", 5, Decimal("0.0")),
        ("5", 5, Decimal("10.0")),
        ("6", 5, None),  # above its scale: does not count
        ("3", 0, None),
        ("3", None, None),
        (None, 10, None),
    ],
)
def test_survey_score_is_normalised_to_ten(customer, score, scale, expected):
    signal(customer, "survey_response", T - DAY, score=score and Decimal(score), scale=scale)
    assert facts_both_ways(customer)["last_survey_score"] == expected


def test_the_latest_survey_wins_and_a_tie_goes_to_the_higher_score(customer):
    signal(customer, "survey_response", T - 5 * DAY, score=Decimal("9"), scale=10)
    signal(customer, "survey_response", T - 2 * DAY, score=Decimal("3"), scale=10)
    assert facts_both_ways(customer)["last_survey_score"] == Decimal("3.0")
    signal(customer, "survey_response", T - 2 * DAY, score=Decimal("4"), scale=5)
    assert facts_both_ways(customer)["last_survey_score"] == Decimal("8.0")
