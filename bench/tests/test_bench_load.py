"""`bench load` runs end to end for a few seconds on a tiny population, against its own gunicorn, Celery worker
and scratch database: every kind of request answered as expected, every acknowledged signal stored once, the
re-sent batches taken as duplicates, the worker caught up; the last line is its JSON summary."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from bench.load import _signals_counted
from bench.registry import discover
from bench.worker import redis_reachable
from cxcore.ingest import signals_ingest


def test_bench_load_is_registered():
    assert "load" in discover()


@pytest.mark.postgres
@pytest.mark.celery
def test_bench_load_runs_small_with_nothing_lost_or_doubled(django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("bench load measures gunicorn + PostgreSQL + a Celery worker; SQLite is not served that way")
    if not redis_reachable():
        pytest.skip("bench load runs a real Celery worker on Redis at 127.0.0.1:6379, which is not reachable")
    out = io.StringIO()

    # The bench makes and drops a scratch database of its own beside the test database.
    with django_db_blocker.unblock():
        call_command(
            "bench", "load", "--seconds", "5", "--customers", "60", "--clients", "2", "--resend", "0.5", stdout=out
        )

    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["bench"] == "load"
    assert summary["errors_total"] == 0, summary["errors"]
    assert summary["signals_sent"] > 0
    assert summary["signals_stored"] == summary["signals_sent"]
    assert summary["lost"] == summary["doubled"] == summary["unacknowledged"] == 0
    assert summary["resent_batches"] > 0 and summary["resent_taken_as_new"] == 0
    assert summary["left_changed"] == 0
    assert sum(summary["requests"].values()) > 0
    assert summary["baseline_copy_rows_per_s"] > 0
    assert summary["ok"] is True
    assert any(line.strip().startswith("customer_page") for line in lines)
    assert any(line.startswith("lock waits: ") for line in lines)
    assert summary["lock_waits"] == sum(summary["lock_waits_by_statement"].values())


@pytest.mark.django_db
def test_bench_load_counts_a_signal_acknowledged_but_not_stored_as_lost():
    login = {"customer": "c-1", "kind": "app_login", "occurred_at": "2026-12-01T10:00:00+00:00"}
    signals_ingest(items=[{**login, "idempotency_key": key} for key in ("k-1", "k-2")], source="bench-load-t")

    counted = _signals_counted("bench-load-t", {"k-1", "k-3"})

    assert counted == {"sent": 2, "stored": 2, "lost": 1, "doubled": 0, "unacknowledged": 1}
