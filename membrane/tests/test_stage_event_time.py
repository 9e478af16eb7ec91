"""Stage history is in event time: transitions sit where they happened, back-dated signals rewrite it."""

from __future__ import annotations

from cxcore.models import Customer
from membrane.models import CustomerStage, StageTransition
from membrane.stages.one_customer import stage_bring_up_to

from .stage_helpers import DAY, NOW, ingest, ticket


def history(customer):
    return list(StageTransition.objects.filter(customer=customer).values_list("from_stage", "to_stage", "at"))


def test_a_ticket_open_for_five_days_means_five_days_in_crisis(db):
    ingest("m1", "purchase", NOW - 40 * DAY, amount="99.00")
    ticket("m1", "T1", NOW - 5 * DAY)
    customer = Customer.objects.get(external_id="m1")

    state = stage_bring_up_to(customer=customer, at=NOW)

    assert (state.stage, state.since, state.previous_stage, state.days_in_stage) == (
        "crisis",
        NOW - 5 * DAY,
        "active",
        5,
    )
    assert history(customer)[-1] == ("active", "crisis", NOW - 5 * DAY)


def test_a_back_dated_signal_rewrites_the_later_history(db):
    ingest("m1", "purchase", NOW - 20 * DAY, amount="10.00")
    customer = Customer.objects.get(external_id="m1")
    assert stage_bring_up_to(customer=customer, at=NOW).stage == "active"
    assert history(customer) == [(None, "active", NOW - 20 * DAY)]

    # A ticket that was opened and resolved in the past arrives late.
    ticket("m1", "T1", NOW - 10 * DAY, resolved=NOW - 8 * DAY)
    state = stage_bring_up_to(customer=customer, at=NOW)

    assert state.stage == "active"
    assert history(customer) == [
        (None, "active", NOW - 20 * DAY),
        ("active", "crisis", NOW - 10 * DAY),
        ("crisis", "active", NOW - 8 * DAY),
    ]
    assert Customer.objects.get(pk=customer.pk).dirty_since is None


def test_time_alone_moves_the_stage_at_the_instant_it_happens(db):
    # Recurring problem resolved: at risk until the second opening leaves the 90-day window.
    ticket("m1", "T1", NOW - 100 * DAY, resolved=NOW - 99 * DAY)
    ticket("m1", "T2", NOW - 60 * DAY, resolved=NOW - 59 * DAY)
    customer = Customer.objects.get(external_id="m1")

    stage_bring_up_to(customer=customer, at=NOW)

    assert history(customer)[-2:] == [
        ("crisis", "at_risk", NOW - 59 * DAY),
        # The first opening (100 days ago) left the window 10 days ago: recurrence is 1 from then on.
        ("at_risk", "onboarding", NOW - 10 * DAY),
    ]


def test_a_past_time_is_answered_from_the_stored_history(db, django_assert_max_num_queries):
    ingest("m1", "purchase", NOW - 40 * DAY, amount="99.00")
    ticket("m1", "T1", NOW - 5 * DAY, resolved=NOW - 2 * DAY)
    customer = Customer.objects.get(external_id="m1")
    stage_bring_up_to(customer=customer, at=NOW)
    assert CustomerStage.objects.get(customer=customer).evaluated_through == NOW

    with django_assert_max_num_queries(3):
        state = stage_bring_up_to(customer=customer, at=NOW - 3 * DAY)

    assert (state.stage, state.since, state.days_in_stage) == ("crisis", NOW - 5 * DAY, 2)
    assert CustomerStage.objects.get(customer=customer).evaluated_through == NOW
