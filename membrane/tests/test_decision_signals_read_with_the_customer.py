"""The signals read with the customer answer exactly as the signals read apart, as of the moment they were read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Customer
from membrane.decisions.selectors import decision_inputs_read
from membrane.decisions.services import decision_evaluate, decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.tests.principles_support import draft, publish

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
ASKS = [
    Interaction("marketing_devices", "marketing", "email"),
    Interaction("marketing_services", "marketing", "sms"),
    Interaction("research", "survey", "email"),
    Interaction("sales", "upsell", "email"),
]


def contact(customer, *, team, category, channel, at):
    SignalFactory(
        customer=customer,
        kind="contact",
        direction="out",
        team=team,
        category=category,
        channel=channel,
        occurred_at=at,
    )


@pytest.fixture
def principles(cx_manager, service_manager):
    for fields in (
        {"title": "Two marketing contacts a week", "condition": "true", "effect": "cap", "params": {"n": 2, "days": 7}},
        {
            "title": "One survey a month",
            "categories": ["survey"],
            "channels": ["email"],
            "condition": "true",
            "effect": "cap",
            "params": {"n": 1, "days": 30},
        },
        {"title": "No surveys to the unhappy", "categories": ["survey"], "condition": "complaints_30d >= 1"},
        {"title": "No upsell while a ticket is open", "categories": ["upsell"], "condition": "open_tickets > 0"},
    ):
        publish(draft(cx_manager, examples=[], **fields), author=cx_manager, reviewer=service_manager)


@pytest.fixture
def customer(db):
    customer = CustomerFactory(external_id="M-9", consent={"email": True, "sms": True})
    SignalFactory(customer=customer, kind="purchase", amount=80, occurred_at=T0)
    contact(customer, team="sales", category="marketing", channel="email", at=T0 + dt.timedelta(days=1))
    contact(customer, team="marketing_services", category="marketing", channel="sms", at=T0 + dt.timedelta(days=3))
    contact(customer, team="research", category="survey", channel="email", at=T0 + dt.timedelta(days=4))
    SignalFactory(
        customer=customer,
        kind="contact",
        direction="in",
        team="sales",
        category="marketing",
        channel="email",
        occurred_at=T0 + dt.timedelta(days=4, hours=1),
    )  # inbound: never counted
    SignalFactory(
        customer=customer,
        kind="ticket_opened",
        ticket_ref="T1",
        issue_key="billing",
        severity="high",
        occurred_at=T0 + dt.timedelta(days=5),
    )
    SignalFactory(customer=customer, kind="complaint", occurred_at=T0 + dt.timedelta(days=6))
    SignalFactory(customer=customer, kind="ticket_resolved", ticket_ref="T1", occurred_at=T0 + dt.timedelta(days=9))
    SignalFactory(customer=customer, kind="survey_response", score=3, scale=10, occurred_at=T0 + dt.timedelta(days=10))
    return customer


def answer(decision) -> dict:
    verdict = decision.verdict
    return {
        "stage": decision.stage,
        "verdict": verdict.verdict,
        "decided_by": verdict.decided_by,
        "matched": verdict.matched,
        "facts": verdict.facts,
        "actions": verdict.actions,
        "reason": verdict.reason,
        "retry_after": verdict.retry_after,
    }


def test_the_answers_from_signals_read_with_the_customer_are_those_of_signals_read_apart(principles, customer):
    times = [T0 - dt.timedelta(days=1), *(T0 + dt.timedelta(days=d, hours=12) for d in range(0, 14, 2))]
    times.append(T0 + dt.timedelta(days=4))  # exactly a contact's time: inside the window (at - D, at]

    for at in times:
        for ask in ASKS:
            preloaded = decision_inputs_read(external_id="M-9")
            alone = Customer.objects.get(pk=customer.pk)
            assert answer(decision_evaluate(inputs=preloaded, interaction=ask, at=at)) == answer(
                decision_evaluate(inputs=DecisionInputs(alone), interaction=ask, at=at)
            ), (at, ask)


def test_the_inputs_are_one_moments_read_and_the_next_decision_reads_them_again(principles, customer):
    ask = Interaction("marketing_devices", "marketing", "email")
    at = T0 + dt.timedelta(days=9, hours=12)  # one marketing contact in the week before
    found = decision_inputs_read(external_id="M-9", at=at)
    assert decision_make(inputs=found, interaction=ask, at=at).verdict.verdict == "allow"
    # A contact arrives: read anew, the inputs count it against the cap; those read before cannot.
    contact(customer, team="sales", category="marketing", channel="push", at=at - dt.timedelta(hours=1))

    assert decision_make(inputs=decision_inputs_read(external_id="M-9"), interaction=ask, at=at).verdict.verdict == (
        "suppress"
    )
    if found.read.signals is not None:  # PostgreSQL: the signals were read with the customer
        assert decision_evaluate(inputs=found, interaction=ask, at=at).verdict.verdict == "allow"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_hot_statements_are_prepared_unless_the_pooler_cannot_carry_them(principles, customer):
    ask = Interaction("research", "survey", "email")
    at = T0 + dt.timedelta(days=12)
    expected = answer(
        decision_evaluate(inputs=DecisionInputs(Customer.objects.get(pk=customer.pk)), interaction=ask, at=at)
    )
    pg = connection.connection
    threshold = pg.prepare_threshold
    assert threshold is not None  # the settings' default

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    def decide_often() -> None:
        for _ in range((threshold or 0) + 2):
            decision = decision_make(inputs=decision_inputs_read(external_id="M-9"), interaction=ask, at=at)
            assert answer(decision) == expected

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its prepared statements too
    try:
        pg.prepare_threshold = None  # DB_PREPARE_THRESHOLD=none, as behind PgBouncer in transaction mode
        decide_often()
        assert prepared() == 0
    finally:
        pg.prepare_threshold = threshold
    decide_often()
    assert prepared() == 2  # the customer with all they carry, and the log row
