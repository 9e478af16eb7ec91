"""An ingest whose queueing fails (the broker is down) makes the next ones in this process skip it for a
while instead of each paying the publish's retries: their customers are marked changed in the database, and
beat's round re-evaluates them (tests/faults/test_broker_stops_under_ingest.py runs the whole outage)."""

from __future__ import annotations

import pytest

from membrane import signals_receivers
from membrane.runs.tasks import reevaluate_changed


@pytest.fixture
def broker(monkeypatch):
    clock = {"now": 1000.0}
    published = []
    state = {"down": True}

    def delay():
        if state["down"]:
            raise ConnectionError("broker down")
        published.append(clock["now"])

    monkeypatch.setattr(reevaluate_changed, "delay", delay)
    monkeypatch.setattr(signals_receivers.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(signals_receivers, "_broker_failed_at", float("-inf"))
    return clock, published, state


def test_a_failed_queueing_pauses_the_next_ones_then_they_go_on(broker):
    clock, published, state = broker
    with pytest.raises(ConnectionError):  # the first one fails and is logged by the ingest
        signals_receivers._queue_changed()

    state["down"] = False  # back, but this process does not know it yet
    clock["now"] += signals_receivers.BROKER_RETRY_AFTER_S - 1
    signals_receivers._queue_changed()
    assert published == []  # skipped: beat's round takes the changed customers

    clock["now"] += 1
    signals_receivers._queue_changed()
    assert published == [clock["now"]]
