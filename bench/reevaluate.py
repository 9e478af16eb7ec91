"""bench reevaluate: a full set-based re-evaluation (facts + stages) beside a bare GROUP BY of the same signals.

Quality bars (DESIGN.md section 12): the full run within 3x of one GROUP BY over the signals into
the customers; 10,000 changed customers brought up to date incrementally in under 2 s.

Two GROUP BYs are measured beside each run: the strict one reads the signals' covering index only,
as the facts statement does; the table one also sums a column only the table holds, so it reads
the rows themselves, as the GROUP BY of DESIGN.md section 12's baseline does. Every ratio is given
against both.

The population lives in a scratch database of its own (`cxm_bench`, created beside the one
DATABASE_URL names and migrated): generated in SQL (generate_series) the first time, with the
signal table's indexes built after the load, and reused by later runs of the same size. Each run
first removes what earlier runs added (the changed customers' signals, their dirty marks).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed

from .registry import Benchmark, Report, median, register, require_postgresql

TAG = "bench-reeval-"
TARGET_RATIO = 3.0
TARGET_CHANGED_S = 2.0
DAY = dt.timedelta(days=1)

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


BENCH_DATABASE = "cxm_bench"


def _use_scratch_database(name: str) -> None:
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


def _population_ready(*, customers: int, per_customer: int) -> bool:
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


def _populate(*, customers: int, per_customer: int, now) -> float:
    """A fresh population: the signal table's indexes are dropped during the load and rebuilt after, which is
    several times faster than maintaining them row by row."""
    started = time.perf_counter()
    _clean()
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


# The bare aggregate of the quality bar: every signal row read once into its customer. PostgreSQL
# answers it from the (customer_id, occurred_at) covering index alone once the table is vacuumed,
# as the facts statement reads the signals: the strict baseline.
BASELINE_SQL = (
    "SELECT count(*), sum(signals), max(last_at) FROM (SELECT customer_id, count(*) AS signals,"
    " max(occurred_at) AS last_at FROM cxcore_signal GROUP BY customer_id) per_customer"
)
# The same with a column only the table holds (amount), so the rows themselves are read: the
# aggregate of the baseline DESIGN.md section 12 gives (one GROUP BY of 10M signals, about 4 s).
TABLE_BASELINE_SQL = (
    "SELECT count(*), sum(signals), max(last_at), sum(spent) FROM (SELECT customer_id, count(*) AS signals,"
    " max(occurred_at) AS last_at, sum(amount) AS spent FROM cxcore_signal GROUP BY customer_id) per_customer"
)


def _timed(sql: str) -> float:
    """Seconds to run `sql`, which consumes every column it aggregates: PostgreSQL drops the aggregates
    of a subquery nothing reads (a bare count(*) over it only counts the groups)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchone()
    return time.perf_counter() - started


def _reset_changes() -> None:
    """Undoes what an earlier run's incremental step added, so every run starts from the same population."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cxcore_signal WHERE source = 'bench-changed'")
        cursor.execute("DELETE FROM cxcore_customerchange")
        cursor.execute("UPDATE cxcore_customer SET dirty_since = NULL WHERE dirty_since IS NOT NULL")
    _vacuum()


# The tables the runs and the reset above leave dead rows in.
_VACUUMED = (
    "cxcore_signal",
    "cxcore_customerchange",
    "cxcore_customerfacts",
    "membrane_customerstage",
    "membrane_stagetransition",
)


def _vacuum() -> None:
    """What autovacuum does between runs where it is on: this machine's server has it off, and the dead
    rows earlier runs left (their signals deleted above, stages rewritten) would be read by every
    index scan of the next ones."""
    with connection.cursor() as cursor:
        for table in _VACUUMED:
            cursor.execute(f"VACUUM ANALYZE {table}")


def _changed(*, n: int, now) -> tuple[float, int]:
    """A new signal for n customers spread over the population, each with a change queued as the ingest does; then
    the incremental run over them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cxcore_customer")
        step = max(1, cursor.fetchone()[0] // n)
        cursor.execute(
            "WITH picked AS (SELECT id FROM cxcore_customer WHERE id %% %(step)s = 0 ORDER BY id LIMIT %(n)s),"
            " inserted AS (INSERT INTO cxcore_signal (customer_id, kind, direction, channel, team, category,"
            " occurred_at, received_at, ticket_ref, issue_key, severity, payload, source, idempotency_key)"
            " SELECT id, 'ticket_opened', 'in', '', '', '', %(now)s, %(now)s, 'TB', 'issue0', '', '{}'::jsonb,"
            " 'bench-changed', id || '-' || %(stamp)s FROM picked RETURNING customer_id, occurred_at)"
            " INSERT INTO cxcore_customerchange (customer_id, since) SELECT customer_id, occurred_at FROM inserted",
            {"step": step, "n": n, "now": now, "stamp": now.isoformat()},
        )
    started = time.perf_counter()
    run = stages_evaluate_changed(at=now)
    return time.perf_counter() - started, run.customers


def _clean() -> None:
    """Empties the scratch database's customers and everything hanging off them (it is the bench's own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cxcore_customer, cxcore_signal, cxcore_customerchange, cxcore_customerfacts,"
            " membrane_customerstage, membrane_stagetransition, membrane_evaluationrun RESTART IDENTITY CASCADE"
        )


@register
class Reevaluate(Benchmark):
    name = "reevaluate"
    help = "Full set-based re-evaluation (facts + stages) against a bare GROUP BY; 10,000 changed customers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--signals-per-customer", type=int, default=10)
        parser.add_argument("--changed", type=int, default=10_000)
        parser.add_argument(
            "--repeat", type=int, default=3, help="daily full runs after the cold one (medians are of these)"
        )

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, per = options["customers"], options["signals_per_customer"]
        _use_scratch_database(BENCH_DATABASE)
        if _population_ready(customers=customers, per_customer=per):
            started = time.perf_counter()
            _reset_changes()
            report.line(
                f"database {BENCH_DATABASE}: reused its {customers:,} customers / {customers * per:,} signals"
                f" (earlier runs' changes removed and their tables vacuumed, as autovacuum would, in"
                f" {time.perf_counter() - started:.1f} s)"
            )
        else:
            generated_s = _populate(customers=customers, per_customer=per, now=timezone.now())
            report.line(
                f"database {BENCH_DATABASE}: generated {customers:,} customers / {customers * per:,} signals"
                f" in {generated_s:.1f} s (generate_series, indexes built after the load)"
            )
        report.line(f"load average before: {_load()}")
        # After any earlier run: every full run is as of a later instant, so everyone is evaluated again.
        with connection.cursor() as cursor:
            cursor.execute("SELECT max(evaluated_through) FROM membrane_customerstage")
            latest = cursor.fetchone()[0]
        start = max(timezone.now(), latest or timezone.now()) + dt.timedelta(minutes=1)
        # The first run finds no stored facts, stages or history (a new installation): every customer's
        # facts are computed and every customer enters a first stage. The cold run computes every
        # customer's facts again from all their signals (as after an import), the stages held; the
        # daily runs follow it a day apart, as the schedule runs them, and compute again only the
        # customers whose facts time or new signals changed.
        runs = [("first", start), ("cold", start + DAY)]
        runs += [(f"day {day}", start + (day + 1) * DAY) for day in range(1, options["repeat"] + 1)]
        rows, daily, base_times, table_times = [], [], [], []
        # "first" and "cold" -> (full run s, its GROUP BY s, its table GROUP BY s)
        single: dict[str, tuple[float, float, float]] = {}
        for label, as_of in runs:
            with connection.cursor() as cursor:
                if label == "first":
                    cursor.execute("TRUNCATE cxcore_customerfacts, membrane_customerstage, membrane_stagetransition")
                elif label == "cold":
                    cursor.execute("TRUNCATE cxcore_customerfacts")
            base, table = _timed(BASELINE_SQL), _timed(TABLE_BASELINE_SQL)
            started = time.perf_counter()
            run = stages_evaluate_all(as_of=as_of)
            full = time.perf_counter() - started
            recomputed = _facts_computed_since(run.started_at)
            if label in ("first", "cold"):
                single[label] = (full, base, table)
                # A day passes before the next run: autovacuum's work where it is on.
                _vacuum()
            else:
                daily.append(full)
                base_times.append(base)
                table_times.append(table)
            rows.append(
                (
                    label,
                    run.customers,
                    recomputed,
                    run.transitions,
                    f"{base:.2f}",
                    f"{table:.2f}",
                    f"{full:.2f}",
                    f"{full / base:.2f}",
                    f"{full / table:.2f}",
                    _load(),
                )
            )
        base_s, table_s, full_s = median(base_times), median(table_times), median(daily)
        changed_s, changed_n = _changed(n=options["changed"], now=runs[-1][1] + dt.timedelta(minutes=5))
        report.table(
            [
                "run",
                "customers",
                "facts_computed",
                "transitions",
                "group_by_s",
                "table_group_by_s",
                "full_run_s",
                "ratio",
                "table_ratio",
                "load",
            ],
            [
                *rows,
                (
                    "median (daily)",
                    "",
                    "",
                    "",
                    f"{base_s:.2f}",
                    f"{table_s:.2f}",
                    f"{full_s:.2f}",
                    f"{full_s / base_s:.2f}",
                    f"{full_s / table_s:.2f}",
                    "",
                ),
            ],
        )
        report.line(f"group_by: {BASELINE_SQL}")
        report.line(f"table_group_by: {TABLE_BASELINE_SQL}")
        report.line(
            "first: nothing stored yet (every customer's facts and first stage); cold: every customer's facts"
            " computed again from all their signals, the stages held; day N: the scheduled full run N days later"
            " (facts computed again where time or signals changed them, every customer's stage evaluated)"
        )
        report.line(
            f"incremental: {changed_n:,} changed customers in {changed_s:.2f} s (target < {TARGET_CHANGED_S:.0f} s),"
            f" load average {_load()}"
        )
        ratio = full_s / base_s
        (first, first_base, first_table), (cold, cold_base, cold_table) = single["first"], single["cold"]

        def verdict(seconds: float, base: float) -> str:
            return f"{seconds / base:.2f}x ({'met' if seconds / base <= TARGET_RATIO else 'missed'})"

        report.line(
            f"goal, a full run within {TARGET_RATIO:.0f}x of the GROUP BY (strict / table):"
            f" daily {verdict(full_s, base_s)} / {verdict(full_s, table_s)};"
            f" cold {verdict(cold, cold_base)} / {verdict(cold, cold_table)};"
            f" first {verdict(first, first_base)} / {verdict(first, first_table)}"
        )
        return {
            "customers": customers,
            "signals": customers * per,
            "group_by_s": round(base_s, 3),
            "table_group_by_s": round(table_s, 3),
            "full_run_s": round(full_s, 3),
            "ratio": round(ratio, 2),
            "table_ratio": round(full_s / table_s, 2),
            "target_ratio": TARGET_RATIO,
            "ok_full": ratio <= TARGET_RATIO,
            "first_run_s": round(first, 3),
            "first_ratio": round(first / first_base, 2),
            "first_table_ratio": round(first / first_table, 2),
            "cold_run_s": round(cold, 3),
            "cold_ratio": round(cold / cold_base, 2),
            "cold_table_ratio": round(cold / cold_table, 2),
            "ok_cold": cold / cold_base <= TARGET_RATIO,
            "ok_cold_table": cold / cold_table <= TARGET_RATIO,
            "changed_customers": changed_n,
            "changed_s": round(changed_s, 3),
            "ok_changed": changed_s < TARGET_CHANGED_S,
            "load_average": _load(),
        }


def _facts_computed_since(started) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cxcore_customerfacts WHERE computed_at >= %s", [started])
        return cursor.fetchone()[0]


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
