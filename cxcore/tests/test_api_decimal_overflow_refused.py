"""A number too large for the decimal context (1e999999999) is a 400 like any number too large, not a 500,
as a signal's amount or a customer's lifetime value; nothing is stored (issue 12, item 4)."""

from __future__ import annotations

import pytest

from cxcore.models import Customer, Signal

HUGE = ["1e999999999", "-1E+999999999", 1e308]


@pytest.mark.parametrize("amount", HUGE)
def test_a_signal_amount_beyond_the_decimal_context_is_a_400(api, make_token, amount):
    signal = {"customer": "C1", "kind": "purchase", "occurred_at": "2026-05-01T09:00:00Z", "amount": amount}

    response = api(make_token("ingest")).post("/api/v1/signals", {"signals": [signal]})

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "amount")]
    assert "less than 1,000,000,000,000" in response.json()["errors"][0]["message"]
    assert not Signal.objects.exists()


@pytest.mark.parametrize("value", HUGE)
def test_a_lifetime_value_beyond_the_decimal_context_is_a_400(api, make_token, value):
    response = api(make_token("ingest")).put("/api/v1/customers/C1", {"lifetime_value": value})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["lifetime_value"]
    assert not Customer.objects.exists()


def test_zero_with_a_huge_exponent_is_still_zero(api, make_token):
    response = api(make_token("ingest")).put("/api/v1/customers/C1", {"lifetime_value": "0e999999"})

    assert response.status_code == 201
    assert Customer.objects.get().lifetime_value == 0
