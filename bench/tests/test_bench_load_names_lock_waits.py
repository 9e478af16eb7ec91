"""bench load's lock watch sees a statement waiting for a row lock: how long it waited, that it was this process's
session, and the holder's open transaction with its last statement (PostgreSQL's pg_stat_activity)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import psycopg
import pytest
from django.db import connection

from bench.load_locks import LockWatch, dsn_of

# Skipped before the database is set up: a transactional test that ran on SQLite flushed its seeded rows at the
# end, and every later test that reloads them (serialized_rollback) failed on the content types left over.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the watch reads PostgreSQL's pg_stat_activity"),
]


# serialized_rollback: the seeded roles and vocabularies are back for the next tests.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_statement_waiting_on_a_row_lock_is_named_with_its_holder():
    dsn = dsn_of(connection.settings_dict)
    table = f"bench_lock_probe_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, n int)")
        setup.execute(f"INSERT INTO {table} VALUES (1, 0)")
    try:
        with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as waiter:
            holder.execute(f"SELECT id FROM {table} WHERE id = 1 FOR UPDATE")
            blocked = threading.Thread(target=waiter.execute, args=(f"UPDATE {table} SET n = n + 1 WHERE id = 1",))
            with LockWatch(dsn=dsn, processes={"this test": [os.getpid()]}, every=0.05) as watch:
                blocked.start()
                time.sleep(0.8)
                holder.commit()
                blocked.join(timeout=10)
                time.sleep(0.1)
            summary = watch.summary()
    finally:
        with psycopg.connect(dsn, autocommit=True) as setup:
            setup.execute(f"DROP TABLE {table}")

    assert summary["lock_waits"] == 1
    longest = summary["lock_wait_longest"]
    assert longest["statement"] == f"UPDATE {table} SET n = n + 1 WHERE id = 1"
    assert 0.4 < longest["seconds"] < 5
    assert longest["waiter"] == longest["holder"] == "this test"
    assert longest["holder_transaction_s"] >= longest["seconds"]
    assert longest["holder_last_statement"] == f"idle in transaction: SELECT id FROM {table} WHERE id = 1 FOR UPDATE"
    assert summary["lock_wait_max_s"] == round(longest["seconds"], 1)


def test_a_holder_caught_committing_keeps_the_statement_it_held_the_lock_with():
    # The sample at the moment the holder commits (CI once caught it) would otherwise name "active: COMMIT".
    watch = LockWatch(dsn="", processes={})
    started = dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    held_with = "SELECT id FROM t WHERE id = 1 FOR UPDATE"
    watch._seen(7, started, 0.2, "UPDATE t SET n = 1", None, 8, None, 0.5, "idle in transaction", held_with)
    watch._seen(7, started, 0.7, "UPDATE t SET n = 1", None, 8, None, 1.0, "active", "COMMIT")

    longest = watch.summary()["lock_wait_longest"]
    assert longest["seconds"] == 0.7
    assert longest["holder_transaction_s"] == 1.0
    assert longest["holder_last_statement"] == f"idle in transaction: {held_with}"


def test_a_holder_running_another_statement_is_named_with_it():
    watch = LockWatch(dsn="", processes={})
    started = dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    watch._seen(7, started, 0.2, "UPDATE t SET n = 1", None, 8, None, 0.5, "idle in transaction", "SELECT 1")
    watch._seen(7, started, 0.7, "UPDATE t SET n = 1", None, 8, None, 1.0, "active", "UPDATE big SET x = 2")

    assert watch.summary()["lock_wait_longest"]["holder_last_statement"] == "active: UPDATE big SET x = 2"
