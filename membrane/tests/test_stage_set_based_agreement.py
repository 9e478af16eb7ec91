"""The set-based run assigns the same stage as the per-customer rules, from the same facts and stage before."""

from __future__ import annotations

import random

from cxcore.facts.per_customer import facts_for_customer
from cxcore.models import Customer
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all
from membrane.stages.one_customer import stage_bring_up_to
from membrane.stages.rules import published_ruleset

from .stage_helpers import DAY, NOW, ingest, ticket

KINDS = ("purchase", "complaint", "ticket", "ticket_resolved_later", "contact", "survey_response")


def random_customer(rng: random.Random, external_id: str, horizon_days: int) -> None:
    ingest(external_id, "account_created", NOW - horizon_days * DAY)
    for n in range(rng.randint(0, 8)):
        at = NOW - rng.randint(0, horizon_days * 24) * DAY / 24
        kind = rng.choice(KINDS)
        if kind == "ticket":
            ticket(external_id, f"T{n}", at, issue=rng.choice(["terminal", "billing"]))
        elif kind == "ticket_resolved_later":
            ticket(external_id, f"T{n}", at, resolved=at + rng.randint(1, 20) * DAY, issue="terminal")
        elif kind == "purchase":
            ingest(external_id, "purchase", at, amount="10.00")
        elif kind == "survey_response":
            ingest(external_id, "survey_response", at, score=rng.randint(0, 10), scale=10)
        else:
            ingest(external_id, kind, at, direction="out" if kind == "contact" else "in")


def test_set_based_stages_agree_with_the_rules_evaluated_per_customer(db):
    rng = random.Random(20260601)
    for n in range(40):
        random_customer(rng, f"r{n}", horizon_days=rng.choice([20, 200, 500]))
    customers = list(Customer.objects.order_by("pk"))
    before = NOW - 15 * DAY
    # Half the customers hold a stage from their event-time history 15 days ago; half none.
    for customer in customers[::2]:
        stage_bring_up_to(customer=customer, at=before)
    held = {s.customer_id: s for s in CustomerStage.objects.all()}
    ruleset = published_ruleset()

    stages_evaluate_all(as_of=NOW, chunk_size=7)

    stored = dict(CustomerStage.objects.values_list("customer_id", "stage"))
    for customer in customers:
        facts = facts_for_customer(customer=customer, at=NOW)
        state = held.get(customer.pk)
        facts.update(
            stage=state.stage if state else None,
            previous_stage=state.previous_stage if state else None,
            days_in_stage=(NOW - state.since) // DAY if state else None,
        )
        assert stored[customer.pk] == ruleset.stage_for(facts), customer.external_id
    assert len(stored) == len(customers)
    changed = {pk for pk, stage in stored.items() if pk not in held or held[pk].stage != stage}
    assert set(StageTransition.objects.filter(at=NOW).values_list("customer_id", flat=True)) == changed


def test_the_set_based_run_agrees_with_event_time_when_nothing_happened_in_between(db):
    rng = random.Random(7)
    for n in range(25):
        random_customer(rng, f"r{n}", horizon_days=300)
    customers = list(Customer.objects.order_by("pk"))
    # Event time up to a day ago for everyone, then a set-based step to NOW; against event time
    # all the way to NOW. The steps differ (one evaluation against every instant of the last day),
    # the default rules make the resulting stage the same.
    for customer in customers:
        stage_bring_up_to(customer=customer, at=NOW - DAY)
    stages_evaluate_all(as_of=NOW)
    set_based = dict(CustomerStage.objects.values_list("customer_id", "stage"))

    CustomerStage.objects.all().delete()
    StageTransition.objects.all().delete()
    event_time = {c.pk: stage_bring_up_to(customer=c, at=NOW).stage for c in customers}

    assert {pk for pk in event_time if event_time[pk] != set_based[pk]} == set()
    assert len(set(event_time.values())) > 1
