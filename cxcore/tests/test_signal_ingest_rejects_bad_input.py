"""Bad input gets a clear 400 naming every bad item's index and field, and stores nothing."""

from __future__ import annotations

import json

import pytest

from cxcore.models import Customer, Signal

URL = "/api/v1/signals"
GOOD = {"customer": "C1", "kind": "complaint", "occurred_at": "2024-05-01T09:00:00+02:00"}


@pytest.fixture
def sender(api, make_token):
    return api(make_token("ingest"))


def errors_of(response) -> set[tuple]:
    return {(e["index"], e["field"]) for e in response.json()["errors"]}


def test_a_batch_with_bad_items_stores_nothing_and_names_every_error(sender):
    signals = [
        GOOD,
        {**GOOD, "occurred_at": "2024-05-01T09:00:00"},  # naive
        {"customer": "C2", "occurred_at": "2024-05-01T09:00:00Z"},  # no kind
        {**GOOD, "customer": ""},
        {**GOOD, "occurred_at": "yesterday", "severity": "urgent", "colour": "red"},
        {**GOOD, "channel": "pigeon", "amount": "1.234", "payload": [1]},
        "not an object",
        {**GOOD, "customer": "C3"},
    ]

    response = sender.post(URL, {"signals": signals})

    assert response.status_code == 400
    body = response.json()
    assert "nothing was stored" in body["detail"]
    assert errors_of(response) == {
        (1, "occurred_at"),
        (2, "kind"),
        (3, "customer"),
        (4, "occurred_at"),
        (4, "severity"),
        (4, "colour"),
        (5, "channel"),
        (5, "amount"),
        (5, "payload"),
        (6, None),
    }
    assert all(e["message"] for e in body["errors"])
    assert Signal.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("occurred_at", "hint"),
    [
        ("2024-05-01T09:00:00", "UTC offset"),
        ("2024-05-01", "UTC offset"),
        ("2024-13-01T09:00:00Z", "ISO 8601"),
        ("not a time", "ISO 8601"),
        (1714546800, "ISO 8601"),
    ],
)
def test_a_bad_timestamp_is_a_clear_400(sender, occurred_at, hint):
    response = sender.post(URL, {"signals": [{**GOOD, "occurred_at": occurred_at}]})

    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert (problem["index"], problem["field"]) == (0, "occurred_at")
    assert hint in problem["message"]


def test_missing_kind_and_empty_customer_are_400s(sender):
    response = sender.post(URL, {"signals": [{"customer": "  ", "occurred_at": "2024-05-01T09:00:00Z"}]})

    assert response.status_code == 400
    assert errors_of(response) == {(0, "customer"), (0, "kind")}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"signals": [GOOD] * 1001}, "At most 1000"),
        ({"signals": []}, "empty"),
        ({"signals": GOOD}, "must be a list"),
        ({"signals": "C1"}, "must be a list"),
        ({}, '{"signals": [...]}'),
        ({"items": [GOOD]}, '{"signals": [...]}'),
        ([GOOD], '{"signals": [...]}'),
        ({"signals": [GOOD], "extra": 1}, "Unknown fields"),
    ],
)
def test_a_badly_shaped_body_is_a_clear_400(sender, body, expected):
    response = sender.post(URL, body)

    assert response.status_code == 400
    assert expected in response.json()["detail"]
    assert response.json()["errors"]
    assert Signal.objects.count() == 0


@pytest.mark.parametrize("raw", ['{"signals": [', "not json", '{"signals": [NaN]}', "[" * 100_000])
def test_malformed_json_is_a_400(sender, raw):
    response = sender.post(URL, raw=raw)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Malformed JSON")


def test_text_that_the_database_cannot_store_is_a_400(sender):
    signals = [
        {**GOOD, "kind": "nul\x00byte"},
        {**GOOD, "payload": {"note": "nul\x00byte"}},
    ]

    response = sender.post(URL, raw=json.dumps({"signals": signals}))

    assert response.status_code == 400
    assert errors_of(response) == {(0, "kind"), (1, "payload")}
