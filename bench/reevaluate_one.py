"""bench reevaluate's per-customer figure (issue 15): one customer re-evaluated after one new signal, for a
customer with a long history (10,000 signals by default) beside one with a population-sized one (10), so
that the figure shows whether the work grows with the history.

Each sample is what the worker does after an ingest, in the present: one new signal for the customer dated
now and queued as the ingest queues a change, then the incremental run over the changed customers (that
one alone) as of now, as the worker's task runs it, timed whole, its run row included. The first
evaluation of each customer (no stored stage or checkpoint yet: every signal read) comes before the
samples and is shown apart.

Both customers are the phase's own, created in SQL at its start and deleted at its end: the population's
stored stages run ahead of now after the bench's days (each a day later), so a signal dated now would be a
late one for them, the path production takes for a back-dated signal, not for a new one.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from cxcore.models import Customer
from membrane.runs.services import stages_evaluate_changed

from .registry import median

# Not under the population's TAG, whose customers the population queries pick.
LONG_TAG = "bench-long-history"
SHORT_TAG = "bench-short-history"
TARGET_ONE_MS = 50.0
# A merchant who has been a customer for years (as bench decisions spreads its long histories), and one of the
# population's size and span (reevaluate_population).
LONG_DAYS = 1095
SHORT_SIGNALS = 10
SHORT_DAYS = 400

# The population's mix of kinds (reevaluate_population), spread over `days` days before `now`.
_HISTORY_SQL = """
INSERT INTO cxcore_signal (customer_id, kind, direction, channel, team, category, occurred_at, received_at,
                           ticket_ref, issue_key, severity, amount, payload, source, idempotency_key)
SELECT %(id)s, k.kind, CASE WHEN k.kind = 'contact' THEN 'out' ELSE 'in' END,
       CASE WHEN k.kind = 'contact' THEN 'email' ELSE '' END,
       CASE WHEN k.kind = 'contact' THEN 'marketing_services' ELSE '' END,
       CASE WHEN k.kind = 'contact' THEN 'marketing' ELSE '' END,
       %(now)s - (random() * %(days)s) * interval '1 day', %(now)s,
       CASE WHEN k.kind LIKE 'ticket%%' THEN 'T' || (s %% 40) ELSE '' END,
       CASE WHEN k.kind = 'ticket_opened' THEN 'issue' || (s %% 5) ELSE '' END,
       CASE WHEN k.kind = 'ticket_opened' AND s %% 5 = 0 THEN 'high' ELSE '' END,
       CASE WHEN k.kind = 'purchase' THEN 50.00 END,
       '{}'::jsonb, 'bench', %(id)s || '-' || s
FROM generate_series(1, %(n)s) s
CROSS JOIN LATERAL (
    SELECT (ARRAY['contact', 'contact', 'contact', 'purchase', 'purchase', 'ticket_opened', 'ticket_resolved',
                  'ticket_resolved', 'complaint', 'app_login'])[1 + ((s * 7) %% 10)] AS kind
) k
"""

# One new signal, dated and received now, queued as the ingest queues its customer's change.
_NEW_SIGNAL_SQL = """
WITH inserted AS (
    INSERT INTO cxcore_signal (customer_id, kind, direction, channel, team, category, occurred_at, received_at,
                               ticket_ref, issue_key, severity, payload, source, idempotency_key)
    VALUES (%(id)s, %(kind)s, 'in', '', '', '', %(now)s, %(now)s, 'TB', 'issue0', '', '{}'::jsonb,
            'bench-changed', %(key)s)
    RETURNING customer_id, occurred_at
)
INSERT INTO cxcore_customerchange (customer_id, since) SELECT customer_id, occurred_at FROM inserted
"""
_KINDS = ("ticket_opened", "purchase", "complaint", "ticket_resolved")


@dataclass
class OneCustomer:
    """The figures of one customer: its signals, its first evaluation, and the samples after one new signal."""

    label: str
    signals: int
    first_ms: float
    samples_ms: list[float]

    @property
    def median_ms(self) -> float:
        return median(self.samples_ms)


def _customer(tag: str, *, signals: int, days: int, now: dt.datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cxcore_customer (external_id, name, email, phone, segment, region, timezone, lifetime_value,"
            " attributes, consent, created_at, updated_at) VALUES (%s, '', '', '', 'smb', 'north', 'UTC', 0,"
            " '{}'::jsonb, '{}'::jsonb, %s, %s) RETURNING id",
            [tag, now - dt.timedelta(days=days + 5), now],
        )
        customer_id = cursor.fetchone()[0]
        cursor.execute(_HISTORY_SQL, {"id": customer_id, "now": now, "n": signals, "days": days})
        cursor.execute("ANALYZE cxcore_signal")
    return customer_id


def customers_remove() -> None:
    """Deletes the phase's customers and everything of theirs (also those an interrupted run left)."""
    Customer.objects.filter(external_id__in=[LONG_TAG, SHORT_TAG]).delete()


def _evaluated_ms() -> float:
    """The worker's incremental run as of now (reevaluate_changed), timed whole."""
    started = time.perf_counter()
    run = stages_evaluate_changed()
    elapsed = (time.perf_counter() - started) * 1000
    if run.customers != 1:
        raise RuntimeError(f"the incremental run evaluated {run.customers} customers, not the one changed")
    return elapsed


def _queue(customer_id: int, *, n: int) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _NEW_SIGNAL_SQL,
            {"id": customer_id, "kind": _KINDS[n % len(_KINDS)], "now": now, "key": f"one-{customer_id}-{n}"},
        )


def measure_one_customer(*, long_signals: int, samples: int) -> list[OneCustomer]:
    """The long customer and a short one, each evaluated first, then `samples` times after one new signal dated
    now (the two customers alternating)."""
    customers_remove()
    now = timezone.now()
    customers = [
        (f"{long_signals:,} signals", _customer(LONG_TAG, signals=long_signals, days=LONG_DAYS, now=now), long_signals),
        (
            f"{SHORT_SIGNALS} signals",
            _customer(SHORT_TAG, signals=SHORT_SIGNALS, days=SHORT_DAYS, now=now),
            SHORT_SIGNALS,
        ),
    ]
    try:
        figures = []
        for label, customer_id, signals in customers:
            _queue(customer_id, n=0)
            figures.append(OneCustomer(label, signals + 1, _evaluated_ms(), []))
        for n in range(1, samples + 1):
            for figure, (_, customer_id, _) in zip(figures, customers, strict=True):
                _queue(customer_id, n=n)
                figure.samples_ms.append(_evaluated_ms())
                figure.signals += 1
    finally:
        customers_remove()
    return figures
