"""The 360° view carries the stage brought up to its time, the facts, and the latest changes of stage with
the rule that made each, without a scheduled run."""

from __future__ import annotations

from cxcore.models import Customer
from cxcore.selectors import customer_360
from membrane.models import StageRule, StageRuleSet, StageTransition
from membrane.stages.selectors import HISTORY_SHOWN, customer_stage_history

from .stage_helpers import DAY, NOW, ingest, publish_rules, ticket


def test_the_360_view_brings_the_stage_up_to_its_time(db):
    ingest("m1", "purchase", NOW - 40 * DAY, amount="99.00")
    ticket("m1", "T1", NOW - 5 * DAY)
    customer = Customer.objects.get(external_id="m1")

    view = customer_360(customer=customer, at=NOW)

    assert view["stage"] == {"stage": "crisis", "since": NOW - 5 * DAY, "previous_stage": "active", "days_in_stage": 5}
    assert view["facts"]["open_tickets"] == 1
    assert view["facts"]["days_in_stage"] == 5

    earlier = customer_360(customer=customer, at=NOW - 10 * DAY)
    assert earlier["stage"]["stage"] == "active"


def test_the_360_view_explains_each_change_of_stage_by_its_rule(db):
    ingest("m1", "purchase", NOW - 40 * DAY, amount="99.00")
    ticket("m1", "T1", NOW - 5 * DAY, resolved=NOW - 2 * DAY)
    customer = Customer.objects.get(external_id="m1")

    history = customer_360(customer=customer, at=NOW)["stage_history"]

    assert [(change["from_stage"], change["to_stage"], change["at"]) for change in history] == [
        ("crisis", "active", NOW - 2 * DAY),
        ("active", "crisis", NOW - 5 * DAY),
        (None, "active", NOW - 40 * DAY),
    ]
    crisis = history[1]["because"]
    assert (crisis["rule"], crisis["condition"], crisis["facts"]) == (1, "open_tickets > 0", {"open_tickets": 1})
    assert history[0]["because"]["facts"] == {"days_since_last_purchase": 38}
    assert [change["at"] for change in customer_360(customer=customer, at=NOW - 3 * DAY)["stage_history"]] == [
        NOW - 5 * DAY,
        NOW - 40 * DAY,
    ]


def test_a_change_is_explained_by_the_rules_that_made_it_not_by_later_ones(db):
    publish_rules([("vip", "lifetime_value > 50")], default="ordinary")
    ingest("m2", "purchase", NOW - 3 * DAY, amount="10.00")
    customer = Customer.objects.get(external_id="m2")
    first = customer_360(customer=customer, at=NOW)["stage_history"]
    publish_rules([("crisis", "open_tickets > 0")], default="calm")

    history = customer_360(customer=customer, at=NOW)["stage_history"]

    assert first[0]["because"] == {"rule": None, "condition": "", "facts": {}}  # no rule held: the default
    assert history[-1] == first[-1]
    assert history[-1]["to_stage"] == "ordinary"


def test_the_history_shown_is_the_latest_changes_in_a_fixed_number_of_queries(db, django_assert_num_queries):
    ingest("m3", "purchase", NOW - 400 * DAY, amount="10.00")
    customer = Customer.objects.get(external_id="m3")
    stages = ["active", "crisis"]
    StageTransition.objects.bulk_create(
        StageTransition(
            customer=customer,
            from_stage=stages[n % 2],
            to_stage=stages[(n + 1) % 2],
            at=NOW - (300 - n) * DAY,
            facts={"open_tickets": n % 2},
            ruleset_number=1,
        )
        for n in range(HISTORY_SHOWN + 5)
    )

    with django_assert_num_queries(2):
        history = customer_stage_history(customer=customer, at=NOW)

    assert len(history) == HISTORY_SHOWN
    assert history[0]["at"] == NOW - (300 - HISTORY_SHOWN - 4) * DAY
    assert all(newer["at"] > older["at"] for newer, older in zip(history, history[1:], strict=False))


def test_a_change_made_by_rules_that_no_longer_check_is_shown_without_a_reason(db):
    ingest("m4", "purchase", NOW - 3 * DAY, amount="10.00")
    customer = Customer.objects.get(external_id="m4")
    old = StageRuleSet.objects.create(number=90, status="superseded", default_stage="onboarding")
    StageRule.objects.create(ruleset=old, position=1, stage="vip", condition="fact_renamed_since > 1")
    StageTransition.objects.create(customer=customer, to_stage="vip", at=NOW - 3 * DAY, ruleset_number=90)

    history = customer_stage_history(customer=customer, at=NOW)

    assert [(change["to_stage"], change["because"]) for change in history] == [("vip", None)]
