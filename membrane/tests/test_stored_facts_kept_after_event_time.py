"""A customer still dirty after a full run keeps stored facts when event time next evaluates them: the facts
at the latest evaluated instant, so the set-based readers (audiences, previews) count every customer."""

from __future__ import annotations

import pytest

from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.selectors import stored_facts_at
from cxcore.models import Customer, CustomerFacts
from journeys.audiences import audience_members
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed
from membrane.stages.one_customer import stage_bring_up_to

from .stage_helpers import DAY, NOW, ingest, ticket

pytestmark = pytest.mark.django_db


def _population() -> list[Customer]:
    ingest("a", "account_created", NOW - 60 * DAY)
    ingest("a", "purchase", NOW - 5 * DAY, amount="10.00")
    ingest("b", "account_created", NOW - 30 * DAY)
    ticket("b", "T1", NOW - 4 * DAY, resolved=NOW - 2 * DAY)
    ingest("c", "account_created", NOW - 10 * DAY)
    return list(Customer.objects.order_by("pk"))


def _facts_agree(customers: list[Customer], at) -> None:
    stored = stored_facts_at(at=at)
    assert set(stored) == {c.pk for c in customers}
    for customer in customers:
        assert stored[customer.pk] == facts_for_customer(customer=customer, at=at), customer.external_id


def test_a_decision_after_a_full_run_leaves_every_customer_with_facts():
    customers = _population()
    stages_evaluate_all(as_of=NOW)
    # The full run evaluated them set-based, not in event time: they are still marked dirty.
    assert CustomerFacts.objects.count() == 3
    later = NOW + DAY / 2
    for customer in customers:
        stage_bring_up_to(customer=Customer.objects.get(pk=customer.pk), at=later)
    _facts_agree(customers, later)
    assert audience_members(expression="tenure_days >= 0", at=later).count() == 3


def test_the_incremental_run_after_a_full_run_leaves_every_customer_with_facts():
    customers = _population()
    stages_evaluate_all(as_of=NOW)
    later = NOW + DAY / 2
    # A signal arriving between the two: its facts are those with it.
    ingest("a", "complaint", NOW + DAY / 4)
    stages_evaluate_changed(at=later)
    _facts_agree(customers, later)
    assert Customer.objects.filter(dirty_since__isnull=False).count() == 0
