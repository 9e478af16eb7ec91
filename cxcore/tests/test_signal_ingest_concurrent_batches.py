"""Concurrent batches sharing customers (new and known) and keys never deadlock and store each signal once."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import connection

from cxcore.ingest import signals_ingest
from cxcore.models import Customer, Signal
from cxcore.selectors import customer_dirty_since

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
CUSTOMERS = [f"C{n:02d}" for n in range(40)]


def batch(rng: random.Random, keys: range) -> list[dict]:
    return [
        {
            "customer": rng.choice(CUSTOMERS),
            "kind": "complaint",
            "occurred_at": (T0 + dt.timedelta(hours=key)).isoformat(),
            "idempotency_key": f"k{key}",
        }
        for key in keys
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_batches_never_deadlock_and_store_each_signal_once():
    Customer.objects.bulk_create([Customer(external_id=e) for e in CUSTOMERS[::2]])  # half known, half new
    # Four senders, each posting overlapping ranges of keys: every key arrives two or three times at once.
    plans = [
        [batch(random.Random(f"{sender}-{n}"), range(n * 100, n * 100 + 300)) for n in range(6)] for sender in range(4)
    ]
    accepted, failures = [], []

    def send(batches: list[list[dict]]) -> None:
        try:
            for items in batches:
                accepted.append(signals_ingest(items=items, source="s").accepted)
        except Exception as exc:  # a deadlock would land here
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    keys = {f"k{key}" for key in range(800)}
    assert set(Signal.objects.values_list("idempotency_key", flat=True)) == keys
    assert sum(accepted) == Signal.objects.count() == len(keys)
    assert Customer.objects.count() == len(CUSTOMERS)
    for customer in Customer.objects.all():
        earliest = Signal.objects.filter(customer=customer).order_by("occurred_at").first()
        assert customer_dirty_since(customer_id=customer.pk) == (earliest.occurred_at if earliest else None)
