"""A customer's attributes and a signal's payload nest at most 10 levels and encode to at most 32 KiB of
JSON; beyond, a 400 before anything is stored, so no later read of them can fail (issue 12, item 4)."""

from __future__ import annotations

import json

import pytest

from cxcore.models import Customer, Signal
from cxcore.schemas import MAX_JSON_CHARS, MAX_JSON_DEPTH


def nested(levels: int) -> dict:
    """An object `levels` deep, counting itself (nested(1) == {}), with a list among the levels."""
    value: dict | list = {}
    for level in range(levels - 1):
        value = [value] if level == 0 and levels > 2 else {"a": value}
    return value


# Sent as text: the test client's encoder cannot write what is that deep.
DEEP_900 = '{"a":' * 899 + "{}" + "}" * 899


def signal(**fields) -> dict:
    return {"customer": "C1", "kind": "complaint", "occurred_at": "2026-05-01T09:00:00Z", **fields}


def as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize(
    "value",
    [DEEP_900, nested(MAX_JSON_DEPTH + 1), {"text": "x" * MAX_JSON_CHARS}],
    ids=["900-deep", "11-deep", "too-large"],
)
def test_attributes_too_deep_or_too_large_are_refused_before_storing(api, make_token, value):
    client = api(make_token("ingest", "read"))

    response = client.put("/api/v1/customers/C1", f'{{"name": "Café Nord", "attributes": {as_text(value)}}}')

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["attributes"]
    assert not Customer.objects.exists()
    assert client.get("/api/v1/customers/C1").status_code == 404


@pytest.mark.parametrize(
    "value",
    [DEEP_900, nested(MAX_JSON_DEPTH + 1), {"text": "x" * MAX_JSON_CHARS}],
    ids=["900-deep", "11-deep", "too-large"],
)
def test_a_payload_too_deep_or_too_large_is_refused_before_storing(api, make_token, value):
    item = json.dumps(signal())[:-1] + f', "payload": {as_text(value)}}}'
    response = api(make_token("ingest")).post("/api/v1/signals", raw=f'{{"signals": [{json.dumps(signal())}, {item}]}}')

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "payload")]
    assert not Signal.objects.exists()


def test_ten_levels_are_stored_and_read_back(api, make_token):
    client = api(make_token("ingest", "read"))

    assert client.put("/api/v1/customers/C1", {"attributes": nested(MAX_JSON_DEPTH)}).status_code == 201
    assert client.post("/api/v1/signals", {"signals": [signal(payload=nested(MAX_JSON_DEPTH))]}).status_code == 201
    response = client.get("/api/v1/customers/C1")
    assert response.status_code == 200
    assert response.json()["profile"]["attributes"] == nested(MAX_JSON_DEPTH)
