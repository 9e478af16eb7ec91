"""First matching rule wins; in a rule, `stage` is the stage held before the evaluation."""

from __future__ import annotations

from cxcore.models import Customer
from membrane.models import StageTransition
from membrane.stages.one_customer import stage_bring_up_to

from .stage_helpers import DAY, NOW, ingest, publish_rules, ticket


def test_the_first_matching_rule_wins(db):
    # Three purchases make the customer loyal, but an open ticket comes first in the default rules.
    for days in (30, 20, 10):
        ingest("c1", "purchase", NOW - days * DAY, amount="10.00")
    ticket("c1", "T1", NOW - 2 * DAY)
    state = stage_bring_up_to(customer=Customer.objects.get(external_id="c1"), at=NOW)
    assert state.stage == "crisis"


def test_no_rule_matching_gives_the_default_stage(db):
    ingest("c1", "survey_response", NOW - DAY, score=9, scale=10)
    state = stage_bring_up_to(customer=Customer.objects.get(external_id="c1"), at=NOW)
    assert state.stage == "onboarding"


def test_stage_in_a_rule_means_the_stage_held_before(db):
    publish_rules([("crisis", "open_tickets > 0"), ("at_risk", 'stage == "crisis"')], default="active")
    ticket("c1", "T1", NOW - 10 * DAY, resolved=NOW - 8 * DAY)
    ingest("c1", "purchase", NOW - 5 * DAY, amount="10.00")
    customer = Customer.objects.get(external_id="c1")

    stage_bring_up_to(customer=customer, at=NOW)

    history = list(StageTransition.objects.filter(customer=customer).values_list("from_stage", "to_stage", "at"))
    # Resolved: rule 1 no longer holds, rule 2 does because the stage before was crisis; at the next
    # evaluation the stage before is at_risk, so rule 2 no longer holds either.
    assert history[:2] == [(None, "crisis", NOW - 10 * DAY), ("crisis", "at_risk", NOW - 8 * DAY)]
    assert [row[:2] for row in history[2:]] == [("at_risk", "active")]
    assert NOW - 8 * DAY < history[2][2] <= NOW - 5 * DAY
