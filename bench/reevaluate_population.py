"""bench reevaluate's world: a scratch database of its own with a population generated in SQL, and a day's new
signals. The population is generated the first time (the signal table's indexes built after the load)
and reused by later runs of the same size; each run first removes what earlier runs added."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.db import connection

TAG = "bench-reeval-"

# Kinds in proportion, the ticket ones on a few refs and issues per customer so tickets open,
# resolve and recur; `app_login` feeds no fact.
_SIGNALS_SQL = """
INSERT INTO cxcore_signal (customer_id, kind, direction, channel, team, category, occurred_at, received_at,
                           ticket_ref, issue_key, severity, amount, payload, source, idempotency_key)
SELECT c.id, k.kind, CASE WHEN k.kind = 'contact' THEN 'out' ELSE 'in' END,
       CASE WHEN k.kind = 'contact' THEN 'email' ELSE '' END,
       CASE WHEN k.kind = 'contact' THEN 'marketing_services' ELSE '' END,
       CASE WHEN k.kind = 'contact' THEN 'marketing' ELSE '' END,
       %(now)s - (random() * 400) * interval '1 day', %(now)s,
       CASE WHEN k.kind LIKE 'ticket%%' THEN 'T' || (s %% 3) ELSE '' END,
       CASE WHEN k.kind = 'ticket_opened' THEN 'issue' || (s %% 2) ELSE '' END,
       CASE WHEN k.kind = 'ticket_opened' AND s %% 5 = 0 THEN 'high' ELSE '' END,
       CASE WHEN k.kind = 'purchase' THEN 50.00 END,
       '{}'::jsonb, 'bench', c.id || '-' || s
FROM cxcore_customer c
CROSS JOIN generate_series(1, %(per)s) s
CROSS JOIN LATERAL (
    SELECT (ARRAY['contact', 'contact', 'contact', 'purchase', 'purchase', 'ticket_opened', 'ticket_resolved',
                  'ticket_resolved', 'complaint', 'app_login'])[1 + ((c.id * 7 + s * 13) %% 10)] AS kind
) k
WHERE c.external_id LIKE %(tag)s
"""


def bench_database() -> str:
    """The scratch database: named after the configured one, so engineers sharing a server keep their own."""
    return f"{connection.settings_dict['NAME']}_reeval"


def use_scratch_database(name: str) -> None:
    """Points the default connection at `name` (created beside the configured one if missing) and migrates it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            # Outside a transaction: Django's connection is in autocommit here.
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0, interactive=False)


_META_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_reeval_population (customers int, per_customer int, generated_at timestamptz)"
)


def population_ready(*, customers: int, per_customer: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_META_DDL)
        cursor.execute("SELECT customers, per_customer FROM bench_reeval_population")
        return cursor.fetchall() == [(customers, per_customer)]


def _signal_indexes() -> list[tuple[str, str, str]]:
    """(kind, name, definition) of every index and constraint of the signal table but its primary key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'cxcore_signal'::regclass AND contype IN ('u', 'f', 'c')"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = 'cxcore_signal'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'cxcore_signal'::regclass)"
        )
        return constraints + cursor.fetchall()


def populate(*, customers: int, per_customer: int, now) -> float:
    """A fresh population: the signal table's indexes are dropped during the load and rebuilt after, which is
    several times faster than maintaining them row by row."""
    started = time.perf_counter()
    clean()
    indexes = _signal_indexes()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_reeval_population")
        cursor.execute(
            "INSERT INTO cxcore_customer (external_id, name, email, phone, segment, region, timezone, lifetime_value,"
            " attributes, consent, created_at, updated_at)"
            " SELECT %(tag)s || g, '', '', '', CASE WHEN g %% 3 = 0 THEN 'enterprise' ELSE 'smb' END, 'north', 'UTC',"
            " 0, '{}'::jsonb, '{}'::jsonb, %(now)s - interval '700 days', %(now)s FROM generate_series(1, %(n)s) g",
            {"tag": TAG, "now": now, "n": customers},
        )
        for kind, name, _definition in indexes:
            if kind == "constraint":
                cursor.execute(f'ALTER TABLE cxcore_signal DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(_SIGNALS_SQL, {"now": now, "per": per_customer, "tag": TAG + "%"})
        for kind, name, definition in indexes:
            if kind == "constraint":
                cursor.execute(f'ALTER TABLE cxcore_signal ADD CONSTRAINT "{name}" {definition}')
            else:
                cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE cxcore_customer")
        cursor.execute("VACUUM ANALYZE cxcore_signal")
        cursor.execute("INSERT INTO bench_reeval_population VALUES (%s, %s, now())", [customers, per_customer])
    return time.perf_counter() - started


def reset_changes() -> None:
    """Undoes what an earlier run's incremental step added, so every run starts from the same population."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cxcore_signal WHERE source = 'bench-changed'")
        cursor.execute("DELETE FROM cxcore_customerchange")
        cursor.execute("UPDATE cxcore_customer SET dirty_since = NULL WHERE dirty_since IS NOT NULL")
    vacuum()


# The tables the runs and the reset above leave dead rows in.
_VACUUMED = (
    "cxcore_signal",
    "cxcore_customerchange",
    "cxcore_customerfacts",
    "membrane_customerstage",
    "membrane_stagetransition",
)


def vacuum() -> None:
    """What autovacuum does between runs where it is on: this machine's server has it off, and the dead
    rows earlier runs left (their signals deleted above, stages rewritten) would be read by every
    index scan of the next ones."""
    with connection.cursor() as cursor:
        for table in _VACUUMED:
            cursor.execute(f"VACUUM ANALYZE {table}")


def day_of_signals(*, n: int, since, until) -> int:
    """A day's new signals: one for each of n customers spread over the population, dated within the day, each
    queued as the ingest queues a change. Returns how many customers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cxcore_customer")
        step = max(1, cursor.fetchone()[0] // n)
        cursor.execute(
            "WITH picked AS (SELECT id FROM cxcore_customer WHERE id %% %(step)s = %(offset)s ORDER BY id LIMIT %(n)s),"
            " inserted AS (INSERT INTO cxcore_signal (customer_id, kind, direction, channel, team, category,"
            " occurred_at, received_at, ticket_ref, issue_key, severity, payload, source, idempotency_key)"
            " SELECT id, (ARRAY['ticket_opened', 'purchase', 'complaint', 'ticket_resolved'])[1 + id %% 4], 'in',"
            " '', '', '', %(since)s + random() * (%(until)s - %(since)s), %(until)s, 'TB', 'issue0', '', '{}'::jsonb,"
            " 'bench-changed', id || '-' || %(stamp)s FROM picked RETURNING customer_id, occurred_at)"
            " INSERT INTO cxcore_customerchange (customer_id, since) SELECT customer_id, occurred_at FROM inserted",
            {"step": step, "offset": step // 2, "n": n, "since": since, "until": until, "stamp": until.isoformat()},
        )
        return cursor.rowcount


def clean() -> None:
    """Empties the scratch database's customers and everything hanging off them (it is the bench's own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cxcore_customer, cxcore_signal, cxcore_customerchange, cxcore_customerfacts,"
            " membrane_customerstage, membrane_stagetransition, membrane_evaluationrun RESTART IDENTITY CASCADE"
        )
