"""A batch pauses the cyclic garbage collector and always gives it back as it found it."""

from __future__ import annotations

import gc

import pytest

import cxcore.api_signals
from cxcore.gc_pause import collector_paused


@pytest.fixture
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after(collector_enabled):
    with collector_paused():
        inside = gc.isenabled()

    assert inside is False
    assert gc.isenabled()


def test_an_error_inside_turns_it_back_on(collector_enabled):
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the batch failed")

    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off(collector_enabled):
    gc.disable()

    with collector_paused():
        pass

    assert not gc.isenabled()


def test_a_signal_batch_is_handled_with_the_collector_paused(api, make_token, monkeypatch):
    seen = []
    real_ingest = cxcore.api_signals.signals_ingest
    monkeypatch.setattr(
        cxcore.api_signals, "signals_ingest", lambda **kwargs: seen.append(gc.isenabled()) or real_ingest(**kwargs)
    )
    item = {"customer": "C1", "kind": "complaint", "occurred_at": "2024-05-01T09:00:00Z"}

    response = api(make_token("ingest")).post("/api/v1/signals", {"signals": [item]})

    assert response.status_code == 201
    assert seen == [False]
    assert gc.isenabled()
