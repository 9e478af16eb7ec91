"""A customer id no database can hold (a lone surrogate, a NUL) never reaches a query: with a bad token the
decision API answers 401, with a good one 400 naming the field, single or batch (issue 12, item 4)."""

from __future__ import annotations

import json

import pytest

from membrane.models.decisions import DecisionLog

QUESTION = {"team": "marketing_devices", "category": "upsell", "channel": "email"}
# json.dumps writes a lone surrogate as the escape \ud800, which parses back to the lone surrogate.
UNSTORABLE = ["\ud800", "M-1\x00"]


def bodies(customer: str) -> dict[str, str]:
    question = {"customer": customer, **QUESTION}
    return {
        "/api/v1/decisions": json.dumps(question),
        "/api/v1/decisions/batch": json.dumps({"decisions": [question]}),
    }


@pytest.mark.parametrize("customer", UNSTORABLE, ids=["surrogate", "nul"])
def test_a_bad_token_is_a_401_before_the_customer_is_read(api, db, customer):
    for url, body in bodies(customer).items():
        response = api("cxm_not-a-key").post(url, raw=body)

        assert response.status_code == 401, (url, response.content)
        assert response.json()["detail"] == "Invalid or revoked token."


@pytest.mark.parametrize("customer", UNSTORABLE, ids=["surrogate", "nul"])
def test_with_a_good_token_the_customer_is_a_400(api, make_token, customer):
    client = api(make_token("decide"))
    for url, body in bodies(customer).items():
        response = client.post(url, raw=body)

        assert response.status_code == 400, (url, response.content)
        assert [error["field"] for error in response.json()["errors"]] == ["customer"]
        assert response.json()["errors"][0]["message"]
    assert not DecisionLog.objects.exists()
