"""POST /api/v1/decisions and /decisions/batch: the answer's shape, errors, scopes, and the log."""

from __future__ import annotations

import pytest

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.models.decisions import DecisionLog

URL = "/api/v1/decisions"
BATCH = "/api/v1/decisions/batch"
AT = "2026-03-10T12:00:00+01:00"


@pytest.fixture
def customer(db):
    customer = CustomerFactory(external_id="M-1", consent={"email": True})
    SignalFactory(
        customer=customer,
        kind="ticket_opened",
        ticket_ref="T1",
        issue_key="terminal",
        occurred_at="2026-03-08T09:00:00Z",
    )
    return customer


def question(**overrides):
    return {
        "customer": "M-1",
        "team": "marketing_devices",
        "category": "upsell",
        "channel": "email",
        "at": AT,
        **overrides,
    }


def test_a_decision_answers_with_verdict_reason_and_evidence(api, make_token, customer):
    response = api(make_token("decide")).post(URL, question())

    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "suppress"
    assert body["decided_by"] == {"principle": "no-offers-in-crisis", "version": 1}
    assert body["stage"] == "crisis"
    assert body["reason"] == (
        "Suppressed by 'No marketing or sales offers during a crisis' v1: the customer has been in crisis for 2 days."
    )
    assert {"principle": "no-offers-in-crisis", "version": 1, "effect": "suppress"} in body["matched"]
    assert body["facts"]["stage"] == "crisis"
    assert body["at"] == "2026-03-10T11:00:00+00:00" and "retry_after" not in body
    logged = DecisionLog.objects.get(decision_id=body["decision_id"])
    assert (logged.verdict, logged.principle.slug, logged.version_number, logged.asked_by) == (
        "suppress",
        "no-offers-in-crisis",
        1,
        "test-integration",
    )


def test_consent_is_checked_first(api, make_token, customer):
    body = api(make_token("decide")).post(URL, question(channel="sms", category="service_update")).json()
    assert body["verdict"] == "allow"  # service updates need no consent
    body = api(make_token("decide")).post(URL, question(channel="sms", category="survey")).json()
    assert (body["verdict"], body["decided_by"]) == ("suppress", "consent")


def test_unknown_customer_is_a_404_and_bad_fields_a_400(api, make_token, customer):
    client = api(make_token("decide"))
    response = client.post(URL, question(customer="nobody"))
    assert response.status_code == 404 and "nobody" in response.json()["detail"]

    response = client.post(URL, question(category="spam", at="yesterday", color="red"))
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"at", "color"}
    response = client.post(URL, question(category="spam"))
    assert [e["field"] for e in response.json()["errors"]] == ["category"]
    assert DecisionLog.objects.count() == 0


def test_at_defaults_to_now(api, make_token, customer):
    body = api(make_token("decide")).post(URL, question(at=None)).json()
    assert body["stage"] == "crisis" and body["verdict"] == "suppress"


def test_the_decide_scope_is_required(api, make_token, customer, client, outsider, agent):
    assert api(None).post(URL, question()).status_code == 401
    assert api(make_token("read", "ingest")).post(URL, question()).status_code == 403
    client.force_login(outsider)
    assert client.post(URL, question(), content_type="application/json").status_code == 403
    client.force_login(agent)
    assert client.post(URL, question(), content_type="application/json").status_code == 200


def test_a_batch_answers_in_order_with_per_item_404s(api, make_token, customer):
    items = [question(), question(customer="ghost"), question(category="service_update", team="service")]
    response = api(make_token("decide")).post(BATCH, {"decisions": items})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r.get("verdict") for r in results] == ["suppress", None, "allow"]
    assert results[1] == {"index": 1, "status": 404, "detail": "Unknown customer 'ghost'."}
    assert DecisionLog.objects.count() == 2


def test_a_batch_is_bounded_and_validated_whole(api, make_token, customer):
    client = api(make_token("decide"))
    assert client.post(BATCH, {"decisions": [question()] * 1001}).status_code == 400
    assert client.post(BATCH, {"decisions": []}).status_code == 400
    response = client.post(BATCH, {"decisions": [question(), question(team=None)]})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 1, "field": "team", "message": "This field is required (a string)."}]
    assert DecisionLog.objects.count() == 0
    assert len(client.post(BATCH, {"decisions": [question()] * 1000}).json()["results"]) == 1000
