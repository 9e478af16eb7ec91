"""A cap counts outbound contacts in its scope of every team, within D days before `at`."""

from __future__ import annotations

import datetime as dt

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.tests.principles_support import draft, publish

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def contact(customer, *, team, category, at):
    return SignalFactory(
        customer=customer,
        kind="contact",
        direction="out",
        team=team,
        category=category,
        channel="email",
        occurred_at=at,
    )


def test_contacts_of_another_team_count_against_the_cap(cx_manager, service_manager):
    publish(
        draft(
            cx_manager,
            title="Two marketing mails a week",
            condition="true",
            effect="cap",
            params={"n": 2, "days": 7},
            examples=[],
        ),
        author=cx_manager,
        reviewer=service_manager,
    )
    customer = CustomerFactory()
    contact(customer, team="marketing_services", category="marketing", at=NOW - dt.timedelta(days=6))
    contact(customer, team="marketing_services", category="survey", at=NOW - dt.timedelta(days=2))  # out of scope
    contact(customer, team="sales", category="marketing", at=NOW - dt.timedelta(days=8))  # out of the window
    ask = Interaction(team="marketing_devices", category="marketing", channel="email")

    assert decision_make(inputs=DecisionInputs(customer), interaction=ask, at=NOW).verdict.verdict == "allow"

    contact(customer, team="sales", category="marketing", at=NOW - dt.timedelta(days=1))
    answer = decision_make(inputs=DecisionInputs(customer), interaction=ask, at=NOW)

    assert answer.verdict.verdict == "suppress"
    assert answer.verdict.decided_by["principle"] == answer.verdict.deciding.slug
    assert answer.verdict.retry_after == NOW + dt.timedelta(days=1)  # the contact of 6 days ago leaves the window
    assert "2 contacts in the last 7 days already reach the cap of 2" in answer.verdict.reason
    # At retry_after it goes through, and the past is answered as it was.
    assert (
        decision_make(inputs=DecisionInputs(customer), interaction=ask, at=answer.verdict.retry_after).verdict.verdict
        == "allow"
    )
    assert (
        decision_make(inputs=DecisionInputs(customer), interaction=ask, at=NOW - dt.timedelta(days=7)).verdict.verdict
        == "allow"
    )


def test_an_allow_of_higher_priority_overrides_a_lower_suppression_but_not_a_cap(cx_manager, service_manager):
    publish(
        draft(cx_manager, title="No marketing ever", condition="true", priority=10, examples=[]),
        author=cx_manager,
        reviewer=service_manager,
    )
    publish(
        draft(
            cx_manager,
            title="Marketing when quiet",
            condition="contacts_7d == 0",
            effect="allow",
            priority=20,
            examples=[],
        ),
        author=cx_manager,
        reviewer=service_manager,
    )
    customer = CustomerFactory()
    ask = Interaction(team="marketing_devices", category="marketing", channel="email")

    allowed = decision_make(inputs=DecisionInputs(customer), interaction=ask, at=NOW)
    assert (allowed.verdict.verdict, allowed.verdict.deciding.title) == ("allow", "Marketing when quiet")

    contact(customer, team="sales", category="upsell", at=NOW - dt.timedelta(days=1))
    suppressed = decision_make(inputs=DecisionInputs(customer), interaction=ask, at=NOW)
    assert (suppressed.verdict.verdict, suppressed.verdict.deciding.title) == ("suppress", "No marketing ever")
