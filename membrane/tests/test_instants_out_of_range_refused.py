"""Every instant the API takes (occurred_at, eta, at) lies from 1970-01-01 to a year from now; any other is a 400
naming the index and field, and nothing is stored or decided (issue 12, item 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from cxcore.factories import CustomerFactory
from cxcore.models import Customer, Signal
from membrane.models.decisions import DecisionLog

YEAR_1 = "0001-01-01T00:00:00Z"
YEAR_9999 = "9999-12-31T23:59:59Z"
BEFORE_1970 = "1969-12-31T23:59:59Z"


def beyond_a_year() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=367)).isoformat()


def fields_named(response) -> list[tuple]:
    return [(error["index"], error["field"]) for error in response.json()["errors"]]


@pytest.fixture
def customer(db):
    return CustomerFactory(external_id="M-1", consent={"email": True})


def question(**overrides):
    return {"customer": "M-1", "team": "marketing_devices", "category": "upsell", "channel": "email", **overrides}


@pytest.mark.parametrize("instant", [YEAR_1, YEAR_9999, BEFORE_1970, "beyond a year"])
def test_signals_out_of_range_are_refused_with_index_and_field(api, make_token, instant):
    instant = beyond_a_year() if instant == "beyond a year" else instant
    good = {"customer": "C1", "kind": "ticket_eta_given", "occurred_at": "2026-01-05T10:00:00Z", "ticket_ref": "T1"}
    signals = [good, {**good, "occurred_at": instant}, {**good, "eta": instant}]

    response = api(make_token("ingest")).post("/api/v1/signals", {"signals": signals})

    assert response.status_code == 400
    assert fields_named(response) == [(1, "occurred_at"), (2, "eta")]
    assert "between 1970-01-01 and one year from now" in response.json()["errors"][0]["message"]
    assert not Signal.objects.exists() and not Customer.objects.exists()


def test_the_range_holds_its_ends(api, make_token):
    near_horizon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=364)).isoformat()
    signals = [
        {"customer": "C1", "kind": "complaint", "occurred_at": "1970-01-01T00:00:00Z"},
        {"customer": "C1", "kind": "ticket_eta_given", "occurred_at": "2026-01-05T10:00:00Z", "eta": near_horizon},
    ]
    response = api(make_token("ingest")).post("/api/v1/signals", {"signals": signals})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("at", [YEAR_1, YEAR_9999, BEFORE_1970])
def test_decisions_at_out_of_range_are_refused(api, make_token, customer, at):
    client = api(make_token("decide", "read"))

    response = client.post("/api/v1/decisions", question(at=at))
    assert response.status_code == 400 and fields_named(response) == [(None, "at")]

    batch = client.post("/api/v1/decisions/batch", {"decisions": [question(), question(at=at)]})
    assert batch.status_code == 400 and fields_named(batch) == [(1, "at")]

    view = client.get("/api/v1/customers/M-1", at=at)
    assert view.status_code == 400 and fields_named(view) == [(None, "at")]
    assert not DecisionLog.objects.exists()


def test_a_decision_a_year_ahead_is_answered(api, make_token, customer):
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=364)).isoformat()
    response = api(make_token("decide")).post("/api/v1/decisions", question(at=at))
    assert response.status_code == 200
