"""A customer's stage history begins when their relationship does (their creation or first signal, whichever
is earlier), in a set-based run as in event time: a replay of imported data gives nobody a stage before."""

from __future__ import annotations

import pytest

from cxcore.factories import CustomerFactory
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all
from membrane.stages.replay import stages_replay, stages_replay_event_time

from .stage_helpers import DAY, NOW, ingest

pytestmark = pytest.mark.django_db

FIRST_PURCHASE = NOW - 10 * DAY


def imported_customer():
    """Created today by an import (after NOW), first heard of through a purchase ten days before NOW."""
    customer = CustomerFactory(external_id="imported")
    ingest(customer.external_id, "purchase", FIRST_PURCHASE, amount="20.00")
    return customer


def history(customer) -> list[tuple]:
    return list(
        StageTransition.objects.filter(customer=customer).order_by("at").values_list("from_stage", "to_stage", "at")
    )


def test_a_run_before_the_relationship_began_leaves_the_customer_without_a_stage():
    customer = imported_customer()

    before = stages_evaluate_all(as_of=FIRST_PURCHASE - DAY)

    assert before.customers == 0
    assert not CustomerStage.objects.filter(customer=customer).exists()
    assert history(customer) == []

    stages_evaluate_all(as_of=NOW)
    assert history(customer) == [(None, "active", NOW)]


def test_a_stepped_replay_begins_the_history_no_earlier_than_the_event_time_one():
    customer = imported_customer()

    stages_replay(since=NOW - 30 * DAY, until=NOW, step=7 * DAY)
    stepped = history(customer)
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    stages_replay_event_time(since=NOW - 30 * DAY, until=NOW)
    event_time = history(customer)

    assert event_time == [(None, "active", FIRST_PURCHASE)]
    # The first weekly run after the purchase: the history begins no earlier than the customer does.
    assert stepped == [(None, "active", NOW - 30 * DAY + 21 * DAY)]
