"""The decision API reads its caller's token in the customer's statement: the same 401s and 403s as elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from cxcore.factories import CustomerFactory
from cxcore.models import ApiToken
from membrane.models.decisions import DecisionLog

URL = "/api/v1/decisions"
QUESTION = {"customer": "M-3", "team": "research", "category": "survey", "channel": "email"}


@pytest.fixture
def customer(db):
    return CustomerFactory(external_id="M-3", consent={"email": True})


def revoke(key: str) -> None:
    ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).update(revoked_at=timezone.now())


@pytest.mark.parametrize(
    "body",
    [QUESTION, {**QUESTION, "customer": "nobody"}, {**QUESTION, "category": "spam"}, "{not json"],
    ids=["valid", "unknown-customer", "invalid-question", "malformed-json"],
)
def test_a_revoked_or_unknown_key_is_a_401_whatever_the_question(api, make_token, customer, body):
    revoked = make_token("decide")
    revoke(revoked)
    for key in (revoked, "cxm_not-a-key"):
        client = api(key)
        response = client.post(URL, raw=body) if isinstance(body, str) else client.post(URL, body)

        assert response.status_code == 401
        assert response.json()["detail"] == "Invalid or revoked token."
        assert response["WWW-Authenticate"] == "Bearer"
    assert not DecisionLog.objects.exists()


@pytest.mark.parametrize(
    "body",
    [QUESTION, {**QUESTION, "customer": "nobody"}, {**QUESTION, "category": "spam"}],
    ids=["valid", "unknown-customer", "invalid-question"],
)
def test_a_token_without_the_decide_scope_is_a_403_whatever_the_question(api, make_token, customer, body):
    response = api(make_token("read", "ingest")).post(URL, body)

    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the 'decide' scope."
    assert not DecisionLog.objects.exists()


def test_a_malformed_authorization_header_is_a_401(client, customer):
    response = client.post(URL, QUESTION, content_type="application/json", headers={"Authorization": "Bearer a b"})

    assert response.status_code == 401
    assert not DecisionLog.objects.exists()


def test_the_token_read_with_the_customer_names_the_caller_and_is_marked_used(api, make_token, customer):
    key = make_token("decide", name="crm")

    response = api(key).post(URL, QUESTION)

    assert response.status_code == 200
    assert DecisionLog.objects.get(decision_id=response.json()["decision_id"]).asked_by == "crm"
    assert ApiToken.objects.get(key_hash=ApiToken.hash_key(key)).last_used_at is not None
    revoke(key)
    assert api(key).post(URL, QUESTION).status_code == 401  # revocation holds from the next request on


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement read is PostgreSQL's")
def test_on_postgresql_a_decision_over_the_api_is_two_statements(api, make_token, customer, django_assert_num_queries):
    client = api(make_token("decide"))
    assert client.post(URL, QUESTION).status_code == 200  # marks the token used, derives the stage once

    # the token with the customer and their signals; the log row (autocommitted, outside a test's transaction)
    with django_assert_num_queries(2) as captured:
        assert client.post(URL, QUESTION).status_code == 200

    assert "cxcore_apitoken" in captured.captured_queries[0]["sql"]
    assert captured.captured_queries[1]["sql"].startswith('INSERT INTO "membrane_decisionlog"')
