"""A retried batch stores nothing twice (DESIGN.md section 9 and 12)."""

from __future__ import annotations

import datetime as dt

from cxcore.models import Customer, Signal

URL = "/api/v1/signals"
T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


def batch(n: int, *, keys: bool = True) -> list[dict]:
    items = []
    for i in range(n):
        item = {
            "customer": f"C{i % 100:04d}",
            "kind": "purchase",
            "occurred_at": (T0 + dt.timedelta(minutes=i)).isoformat(),
            "amount": f"{i}.50",
        }
        if keys:
            item["idempotency_key"] = f"order-{i}"
        items.append(item)
    return items


def test_a_batch_of_1000_posted_twice_is_stored_once(api, make_token):
    client = api(make_token("ingest"))
    signals = batch(1000)

    first = client.post(URL, {"signals": signals})
    second = client.post(URL, {"signals": signals})

    assert first.status_code == 201, first.json()
    assert first.json() == {"accepted": 1000, "duplicates": 0}
    assert second.status_code == 201
    assert second.json() == {"accepted": 0, "duplicates": 1000}
    assert Signal.objects.count() == 1000
    assert Customer.objects.count() == 100


def test_items_without_a_key_are_deduplicated_by_their_content(api, make_token):
    client = api(make_token("ingest"))
    signals = batch(10, keys=False)

    client.post(URL, {"signals": signals})
    retry = client.post(URL, {"signals": signals + [{**signals[0], "amount": "99.00"}]})

    assert retry.json() == {"accepted": 1, "duplicates": 10}
    assert Signal.objects.count() == 11


def test_repeats_within_one_batch_count_as_duplicates(api, make_token):
    client = api(make_token("ingest"))
    item = batch(1)[0]

    answer = client.post(URL, {"signals": [item, item, {**item, "idempotency_key": "other"}]})

    assert answer.json() == {"accepted": 2, "duplicates": 1}
    assert Signal.objects.count() == 2


def test_the_same_key_from_another_integration_is_a_different_signal(api, make_token):
    item = batch(1)[0]

    first = api(make_token("ingest")).post(URL, {"signals": [item]})
    other = api(make_token("ingest", name="crm")).post(URL, {"signals": [item]})

    assert first.json() == other.json() == {"accepted": 1, "duplicates": 0}
    assert set(Signal.objects.values_list("source", flat=True)) == {"test-integration", "crm"}
