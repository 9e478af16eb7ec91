"""bench reevaluate: a full set-based re-evaluation (facts + stages) beside a bare GROUP BY of the same signals.

Quality bars (DESIGN.md section 12): the full run within 3x of one GROUP BY over the signals into
the customers; 10,000 changed customers brought up to date incrementally in under 2 s.

The population is generated in SQL (generate_series) into the database DATABASE_URL names, tagged
by external id, and deleted afterwards unless --keep. Every customer of that database is evaluated
by the full run, so use a database of its own.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import connection
from django.utils import timezone

from cxcore.bench import Benchmark, Report, median, register, require_postgresql
from cxcore.models import Customer
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.stages.services import stages_evaluate_all, stages_evaluate_changed

TAG = "bench-reeval-"
TARGET_RATIO = 3.0
TARGET_CHANGED_S = 2.0

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


def _populate(*, customers: int, per_customer: int, now) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cxcore_customer (external_id, name, email, phone, segment, region, timezone, lifetime_value,"
            " attributes, consent, created_at, updated_at)"
            " SELECT %(tag)s || g, '', '', '', CASE WHEN g %% 3 = 0 THEN 'enterprise' ELSE 'smb' END, 'north', 'UTC',"
            " 0, '{}'::jsonb, '{}'::jsonb, %(now)s - interval '700 days', %(now)s FROM generate_series(1, %(n)s) g",
            {"tag": TAG, "now": now, "n": customers},
        )
        cursor.execute(_SIGNALS_SQL, {"now": now, "per": per_customer, "tag": TAG + "%"})
        cursor.execute("ANALYZE cxcore_customer; ANALYZE cxcore_signal")
    return time.perf_counter() - started


def _group_by() -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_reeval_group_by AS SELECT customer_id, count(*) AS n, max(occurred_at) AS last_at,"
            " count(*) FILTER (WHERE kind = 'purchase') AS purchases FROM cxcore_signal GROUP BY customer_id"
        )
        cursor.execute("DROP TABLE bench_reeval_group_by")
    return time.perf_counter() - started


def _changed(*, n: int, now) -> tuple[float, int]:
    """A new ticket for n customers, marked dirty as the ingest does; then the incremental run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH picked AS (SELECT id FROM cxcore_customer WHERE external_id LIKE %(tag)s ORDER BY id LIMIT %(n)s)"
            " INSERT INTO cxcore_signal (customer_id, kind, direction, channel, team, category, occurred_at,"
            " received_at, ticket_ref, issue_key, severity, payload, source, idempotency_key)"
            " SELECT id, 'ticket_opened', 'in', '', '', '', %(now)s, %(now)s, 'TB', 'issue0', '', '{}'::jsonb,"
            " 'bench-changed', id || '-' || %(stamp)s FROM picked",
            {"tag": TAG + "%", "n": n, "now": now, "stamp": now.isoformat()},
        )
        cursor.execute(
            "UPDATE cxcore_customer SET dirty_since = %(now)s WHERE id IN"
            " (SELECT id FROM cxcore_customer WHERE external_id LIKE %(tag)s ORDER BY id LIMIT %(n)s)",
            {"tag": TAG + "%", "n": n, "now": now},
        )
    started = time.perf_counter()
    run = stages_evaluate_changed(at=now)
    return time.perf_counter() - started, run.customers


def _clean() -> None:
    ids = Customer.objects.filter(external_id__startswith=TAG).values("pk")
    StageTransition.objects.filter(customer__in=ids).delete()
    CustomerStage.objects.filter(customer__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM cxcore_signal WHERE customer_id IN (SELECT id FROM cxcore_customer WHERE external_id LIKE %s)",
            [TAG + "%"],
        )
        cursor.execute(
            "DELETE FROM cxcore_customerfacts WHERE customer_id IN"
            " (SELECT id FROM cxcore_customer WHERE external_id LIKE %s)",
            [TAG + "%"],
        )
    Customer.objects.filter(external_id__startswith=TAG).delete()


@register
class Reevaluate(Benchmark):
    name = "reevaluate"
    help = "Full set-based re-evaluation (facts + stages) against a bare GROUP BY; 10,000 changed customers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--signals-per-customer", type=int, default=10)
        parser.add_argument("--changed", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=3, help="full runs (and GROUP BYs) to take the median of")
        parser.add_argument("--keep", action="store_true", help="keep the generated population")

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, per = options["customers"], options["signals_per_customer"]
        _clean()
        now = timezone.now()
        generated_s = _populate(customers=customers, per_customer=per, now=now)
        report.line(f"generated {customers:,} customers / {customers * per:,} signals in {generated_s:.1f} s")
        try:
            rows, full_times, base_times = [], [], []
            for attempt in range(1, options["repeat"] + 1):
                base = _group_by()
                # Each full run is as of a later instant, so every customer is evaluated again.
                as_of = now + attempt * dt.timedelta(seconds=1)
                started = time.perf_counter()
                run = stages_evaluate_all(as_of=as_of)
                full = time.perf_counter() - started
                base_times.append(base)
                full_times.append(full)
                ratio = f"{full / base:.2f}"
                rows.append((attempt, run.customers, run.transitions, f"{base:.2f}", f"{full:.2f}", ratio))
            base_s, full_s = median(base_times), median(full_times)
            changed_s, changed_n = _changed(n=options["changed"], now=now + dt.timedelta(minutes=5))
            report.table(
                ["run", "customers", "transitions", "group_by_s", "full_run_s", "ratio"],
                [*rows, ("median", "", "", f"{base_s:.2f}", f"{full_s:.2f}", f"{full_s / base_s:.2f}")],
            )
            report.line(f"incremental: {changed_n:,} changed customers in {changed_s:.2f} s (target < 2 s)")
            report.line(f"evaluation runs recorded: {EvaluationRun.objects.count()}")
        finally:
            if not options["keep"]:
                _clean()
        ratio = full_s / base_s
        return {
            "customers": customers,
            "signals": customers * per,
            "group_by_s": round(base_s, 3),
            "full_run_s": round(full_s, 3),
            "ratio": round(ratio, 2),
            "target_ratio": TARGET_RATIO,
            "ok_full": ratio <= TARGET_RATIO,
            "changed_customers": changed_n,
            "changed_s": round(changed_s, 3),
            "ok_changed": changed_s < TARGET_CHANGED_S,
        }


# bench decisions lives in its own module; importing it registers it.
from membrane import bench_decisions  # noqa: E402, F401
