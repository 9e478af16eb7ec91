"""The decision hot path stays cheap without getting stale: the published set's freshness, queries, the log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.decisions import engine
from membrane.decisions.services import Interaction, decision_make
from membrane.models.decisions import DecisionLog
from membrane.tests.principles_support import draft, publish

URL = "/api/v1/decisions"
AT = "2026-03-10T12:00:00+00:00"
QUESTION = {"customer": "M-7", "team": "research", "category": "survey", "channel": "email", "at": AT}


@pytest.fixture
def customer(db):
    customer = CustomerFactory(external_id="M-7", consent={"email": True})
    SignalFactory(customer=customer, kind="purchase", amount=50, occurred_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    return customer


def test_a_principle_published_by_another_process_decides_the_next_question(
    api, make_token, customer, cx_manager, service_manager, monkeypatch
):
    token = make_token("decide")
    assert api(token).post(URL, QUESTION).json()["verdict"] == "allow"
    # Another web worker publishes: this process's cache is not told, only the database changes.
    monkeypatch.setattr(engine, "ruleset_invalidate", lambda: None)
    version = draft(
        cx_manager,
        slug="no-surveys-to-buyers",
        title="No surveys right after a purchase",
        categories=["survey"],
        condition="purchases_90d > 0",
        examples=[],
    )
    publish(version, author=cx_manager, reviewer=service_manager)

    body = api(token).post(URL, QUESTION).json()

    assert body["verdict"] == "suppress"
    assert body["decided_by"] == {"principle": "no-surveys-to-buyers", "version": 1}


def test_a_decision_over_the_api_costs_a_bounded_number_of_queries(
    api, make_token, customer, django_assert_max_num_queries
):
    token = make_token("decide")
    assert api(token).post(URL, QUESTION).status_code == 200  # the stage history is derived once

    # token, customer with the rules' stamp, stage rules, stored stage, signals, log row (+ savepoints in a test)
    with django_assert_max_num_queries(8):
        response = api(token).post(URL, {**QUESTION, "team": "marketing_devices", "category": "upsell"})

    assert response.status_code == 200
    assert DecisionLog.objects.filter(decision_id=response.json()["decision_id"]).exists()


def test_a_decision_inside_a_rolled_back_transaction_leaves_no_log_row(customer):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        decision_make(customer=customer, interaction=Interaction("research", "survey", "email"), asked_by="test")
        raise Abort

    assert not DecisionLog.objects.exists()


@pytest.mark.parametrize("external_id", ["M-'%_;x", "m-7", "M-7 "])
def test_the_customer_is_found_by_exactly_their_external_id(api, make_token, customer, external_id):
    CustomerFactory(external_id="M-'%_;x", consent={"email": True})
    token = make_token("decide")

    response = api(token).post(URL, {**QUESTION, "customer": external_id})

    if external_id == "M-'%_;x":
        assert response.status_code == 200 and response.json()["verdict"] == "allow"
    else:
        assert response.status_code == 404
        assert response.json()["detail"] == f"Unknown customer '{external_id}'."
