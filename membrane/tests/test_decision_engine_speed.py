"""The worst case of the 50-principle quality bar: every principle in scope is evaluated.

Its time (under 50 µs, DESIGN.md section 12) is measured by `manage.py bench decisions`, never by a
timed test: this shared machine is noisy.
"""

from __future__ import annotations

import datetime as dt

from membrane.decisions.engine import CompiledPrinciple, Ruleset, decide
from membrane.principles.conditions import condition_compile
from membrane.principles.scope import Scope

CONDITIONS = [
    'stage == "crisis"',
    "open_tickets > 0 and not eta_given",
    'stage == "crisis" and days_in_stage > 3',
    "max_issue_recurrence_90d > 3",
    'stage in ["at_risk", "dormant"] and contacts_7d < 2',
    'segment == "smb" and lifetime_value >= 1000 and local_hour < 20',
    'weekday in ["saturday", "sunday"] or local_hour >= 21',
    "complaints_30d >= 2 or last_survey_score < 5",
    "days_since_last_purchase > 90 and purchases_90d == 0",
    'previous_stage == "crisis" and days_in_stage < 7',
]
EFFECTS = ["suppress", "allow", "cap", "suppress", "prescribe"]
AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
ROW = {
    "stage": "at_risk",
    "previous_stage": "crisis",
    "days_in_stage": 4,
    "segment": "smb",
    "region": "north",
    "lifetime_value": 1500,
    "open_tickets": 0,
    "eta_given": True,
    "max_issue_recurrence_90d": 4,
    "contacts_7d": 1,
    "complaints_30d": 0,
    "last_survey_score": None,
    "days_since_last_purchase": 30,
    "purchases_90d": 1,
    "team": "marketing_devices",
    "category": "upsell",
    "channel": "email",
    "local_hour": 13,
    "weekday": "tuesday",
}


def fifty_principles() -> list[CompiledPrinciple]:
    principles = []
    for i in range(50):
        effect = EFFECTS[i % len(EFFECTS)]
        compiled = condition_compile(CONDITIONS[i % len(CONDITIONS)])
        params = {"n": 3, "days": 30} if effect == "cap" else {}
        if effect == "prescribe":
            params = {"action": "agent_contact", "team": "service", "due_hours": 24}
        principles.append(
            CompiledPrinciple(
                principle_id=i,
                version_id=i,
                slug=f"p{i}",
                title=f"Principle {i}",
                version=1,
                effect=effect,
                params=params,
                priority=i % 7,
                # Every one of them in scope of the question asked: the worst case.
                scope=Scope() if effect == "prescribe" else Scope(categories=frozenset({"upsell", "marketing"})),
                predicate=compiled.predicate,
                facts=compiled.facts,
            )
        )
    return principles


def test_fifty_principles_in_scope_are_all_evaluated():
    ruleset = Ruleset.build(fifty_principles())
    contacts = [AT - dt.timedelta(days=1)]

    def once():
        return decide(
            ruleset,
            ROW,
            team="marketing_devices",
            category="upsell",
            channel="email",
            at=AT,
            consent_required=True,
            consented=True,
            contacts=lambda cap: contacts,
        )

    answer = once()
    assert len(answer.matched) > 10  # the conditions really are evaluated, not skipped
