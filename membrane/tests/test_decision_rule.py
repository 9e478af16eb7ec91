"""The decision rule of DESIGN.md section 7 on compiled principles: consent, priority, ties, caps, allow."""

from __future__ import annotations

import datetime as dt
import itertools

from membrane.decisions.engine import CompiledPrinciple, Ruleset, decide
from membrane.principles.conditions import condition_compile
from membrane.principles.scope import Scope

AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def principle(title, effect, condition='stage == "crisis"', *, priority=100, categories=("marketing",), params=None):
    compiled = condition_compile(condition)
    pk = next(_ids)
    return CompiledPrinciple(
        principle_id=pk,
        version_id=pk,
        slug=title.lower().replace(" ", "-"),
        title=title,
        version=3,
        effect=effect,
        params=params or {},
        priority=priority,
        scope=Scope(categories=frozenset(categories)),
        predicate=compiled.predicate,
        facts=compiled.facts,
    )


def ask(principles, *, category="marketing", row=None, consent_required=True, consented=True, contacts=()):
    row = row or {"stage": "crisis", "days_in_stage": 2}
    return decide(
        Ruleset.build(principles),
        {**row, "team": "marketing_devices", "category": category, "channel": "email"},
        team="marketing_devices",
        category=category,
        channel="email",
        at=AT,
        consent_required=consent_required,
        consented=consented,
        contacts=lambda cap: list(contacts),
    )


def test_nothing_matched_allows():
    answer = ask([principle("No marketing during a crisis", "suppress")], row={"stage": "active", "days_in_stage": 9})
    assert (answer.verdict, answer.decided_by, answer.matched) == ("allow", None, [])
    assert answer.reason == "Allowed: no published principle restricts this contact."


def test_a_suppression_explains_itself_in_one_sentence():
    answer = ask([principle("No marketing during a crisis", "suppress")])
    assert answer.verdict == "suppress"
    assert answer.decided_by == {"principle": "no-marketing-during-a-crisis", "version": 3}
    assert (
        answer.reason == "Suppressed by 'No marketing during a crisis' v3: the customer has been in crisis for 2 days."
    )
    assert answer.facts == {"stage": "crisis"}


def test_consent_comes_first_and_nothing_overrides_it():
    allow = principle("Always marketing", "allow", "true", priority=1000)
    answer = ask([allow], consented=False)
    assert (answer.verdict, answer.decided_by) == ("suppress", "consent")
    assert "not consented to email" in answer.reason
    assert ask([allow], consented=False, consent_required=False).verdict == "allow"


def test_the_highest_priority_decides():
    low_suppress = principle("No marketing during a crisis", "suppress", priority=100)
    high_allow = principle("Crisis apology offer", "allow", priority=200)
    answer = ask([low_suppress, high_allow])
    assert (answer.verdict, answer.decided_by["principle"]) == ("allow", "crisis-apology-offer")
    assert {m["principle"] for m in answer.matched} == {"no-marketing-during-a-crisis", "crisis-apology-offer"}

    low_allow = principle("Marketing welcome", "allow", priority=50)
    assert ask([low_suppress, low_allow]).verdict == "suppress"


def test_a_tie_goes_to_suppression():
    answer = ask([principle("Marketing welcome", "allow"), principle("No marketing during a crisis", "suppress")])
    assert (answer.verdict, answer.decided_by["principle"]) == ("suppress", "no-marketing-during-a-crisis")


def test_out_of_scope_principles_do_not_count():
    answer = ask([principle("No marketing during a crisis", "suppress")], category="survey")
    assert (answer.verdict, answer.matched) == ("allow", [])


def test_a_cap_suppresses_an_allowed_contact_until_the_window_lets_it_through():
    cap = principle("One upsell a month", "cap", categories=("marketing",), params={"n": 2, "days": 30})
    contacts = [AT - dt.timedelta(days=20), AT - dt.timedelta(days=3)]

    answer = ask([cap], contacts=contacts)

    assert (answer.verdict, answer.decided_by["principle"]) == ("suppress", "one-upsell-a-month")
    assert answer.retry_after == AT + dt.timedelta(days=10)  # the older contact leaves the 30-day window
    assert ask([cap], contacts=contacts[1:]).verdict == "allow"


def test_a_suppression_wins_before_any_cap_is_counted():
    cap = principle("Two a month", "cap", params={"n": 2, "days": 30})
    answer = ask([cap, principle("No marketing during a crisis", "suppress")], contacts=[AT] * 5)
    assert answer.decided_by["principle"] == "no-marketing-during-a-crisis" and answer.retry_after is None


def test_prescribed_actions_come_with_every_answer():
    prescribe = principle(
        "Free service",
        "prescribe",
        'stage == "crisis" and days_in_stage > 3',
        categories=(),
        params={"action": "offer_free_service", "team": "service", "due_hours": 24},
    )
    assert ask([prescribe]).actions == []
    answer = ask([prescribe], category="survey", row={"stage": "crisis", "days_in_stage": 4})
    assert answer.actions == [
        {
            "kind": "offer_free_service",
            "team": "service",
            "principle": "free-service",
            "due": AT + dt.timedelta(hours=24),
        }
    ]
    assert answer.verdict == "allow" and answer.decided_by is None
