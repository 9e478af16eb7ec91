"""The full run works out in SQL whether the rules keep a stage when it begins (settled), as stage_settled
does in Python for the event-time path: both must agree, since the next incremental step trusts it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import membrane.runs.services
from cxcore.facts.per_customer import facts_for_customer
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all
from membrane.stages.instants import stage_settled

from .stage_helpers import DAY, NOW
from .test_stage_time_offsets import HORIZON_DAYS, _scenario, signal_specs, staged_rule_sets

pytestmark = pytest.mark.django_db


def _runs(customer, ruleset, days_before_now, monkeypatch) -> list[tuple[bool, bool]]:
    """Full runs at each of NOW - days (earliest first); for each that moved the customer, the stored
    settled flag beside what stage_settled says of the transition's facts."""
    flags = []
    with monkeypatch.context() as patched:
        patched.setattr(membrane.runs.services, "published_ruleset", lambda: ruleset)
        for days in sorted(set(days_before_now), reverse=True):
            at = NOW - days * DAY
            stages_evaluate_all(as_of=at)
            moved = StageTransition.objects.filter(customer=customer, at=at).first()
            if moved is not None:
                state = CustomerStage.objects.get(customer=customer)
                # The transition records day counts in whole days; whether the rules keep the stage depends
                # on the exact durations, as the run computes them.
                facts = {**moved.facts, **facts_for_customer(customer=customer, at=at)}
                flags.append((state.settled, stage_settled(ruleset, facts, state.stage, state.previous_stage)))
    return flags


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rules=staged_rule_sets,
    signals=signal_specs,
    created_hours=st.integers(24, HORIZON_DAYS * 24),
    days=st.lists(st.integers(0, HORIZON_DAYS), min_size=1, max_size=4),
)
def test_the_full_run_settles_what_the_rules_keep_as_python_does(rules, signals, created_hours, days, monkeypatch):
    with _scenario(rules, signals, created_hours) as (customer, ruleset):
        for stored, expected in _runs(customer, ruleset, days, monkeypatch):
            assert stored == expected, rules


def test_a_stage_the_rules_leave_when_it_begins_is_stored_unsettled(monkeypatch):
    # Entering crisis restarts days_in_stage, which this crisis rule refuses: not settled.
    rules = [("crisis", "open_tickets > 0 and (days_in_stage == null or days_in_stage >= 2)")]
    with _scenario(rules, [("ticket_opened", 10 * 24, "T1", 0)], 20 * 24) as (customer, ruleset):
        assert _runs(customer, ruleset, [15, 5], monkeypatch) == [(True, True), (False, False)]
        assert CustomerStage.objects.get(customer=customer).stage == "crisis"


def test_a_stage_the_rules_keep_when_it_begins_is_stored_settled(monkeypatch):
    rules = [("crisis", "open_tickets > 0"), ("at_risk", 'stage in ["crisis", "at_risk"]')]
    signals = [("ticket_opened", 10 * 24, "T1", 0), ("ticket_resolved", 6 * 24, "T1", 0)]
    with _scenario(rules, signals, 20 * 24) as (customer, ruleset):
        # The first run finds the customer holding no stage, and at_risk reads the stage held: their first
        # stage (onboarding, since their creation) comes from event time, with no transition at the run's
        # instant. The next two runs move them set-based, into crisis and at_risk.
        assert _runs(customer, ruleset, [15, 8, 2], monkeypatch) == [(True, True)] * 2
        first = StageTransition.objects.filter(customer=customer).order_by("at").first()
        assert (first.to_stage, first.at) == ("onboarding", customer.created_at)
        assert CustomerStage.objects.get(customer=customer).stage == "at_risk"
