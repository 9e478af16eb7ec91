"""Facts of every customer as of T in one SQL statement, stored in CustomerFacts.

The statement reads the signals up to T once, and the ticket openings of the last 90 days once
more. Level 1 (`l`) aggregates them per (customer, ticket_ref), the signals of no ticket in one
group per customer, carrying the per-customer partial counts along; level 2 (`kc`) per customer,
and beside it `ic`, the distinct tickets per issue opened in the window. Each fact is then one
expression (FACT_SQL) over the customer row and these aggregates, named like the fields of
per_customer.Summary, which computes the same in Python. `facts_select` hands the statement to a
caller that writes more from the same rows (membrane's stages).

It runs on PostgreSQL and SQLite; the only differences are in `_Dialect`. Times are compared in
the database's own representation (SQLite: Django's UTC text, which sorts like the instants), and
turned into integer epoch microseconds only for day counts, so both agree with Python exactly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from .catalogue import CXCORE_FACTS

DAY_US = 86_400_000_000
# The per-ticket aggregate of a chunk of customers fits in memory instead of spilling to disk.
FACTS_WORK_MEM = "SET LOCAL work_mem = '256MB'"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _Dialect:
    """The few spots where PostgreSQL and SQLite differ."""

    def __init__(self, vendor: str):
        if vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"facts_compute_all supports PostgreSQL and SQLite, not {vendor}")
        self.vendor = vendor

    def epoch_us(self, expr: str) -> str:
        """An integer count of microseconds since 1970 for a datetime column or expression."""
        if self.vendor == "postgresql":
            return f"(EXTRACT(EPOCH FROM {expr}) * 1000000)::bigint"
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. SQLite's date functions round to
        # milliseconds (59.9999995 s becomes the next second), so the fraction is added apart.
        return (
            f"(CAST(strftime('%%s', substr({expr}, 1, 19)) AS INTEGER) * 1000000"
            f" + CASE WHEN length({expr}) > 19 THEN CAST(substr({expr} || '000000', 21, 6) AS INTEGER) ELSE 0 END)"
        )

    def cents(self, expr: str) -> str:
        """A decimal with two places as an exact integer of hundredths."""
        if self.vendor == "postgresql":
            return f"({expr} * 100)::bigint"
        return f"CAST(round({expr} * 100) AS INTEGER)"

    def datetime_param(self, value: dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)

    def in_ids(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"{column} = ANY(%(ids)s)"
        return f"{column} IN (SELECT value FROM json_each(%(ids)s))"

    def ids_param(self, ids: list[int]):
        return ids if self.vendor == "postgresql" else json.dumps(ids)


def _customer_filter(d: _Dialect, column: str, scope: str) -> str:
    """Which customers: every one, those of a list (`ids`), or a half-open id range (`lo` <= id < `hi`).

    A range keeps each chunk of a full run one index range (or a cheap seq-scan filter) instead of
    an array lookup per row.
    """
    if scope == "all":
        return "1 = 1"
    if scope == "ids":
        return d.in_ids(column)
    return f"{column} >= %(lo)s AND {column} < %(hi)s"


def _days(d: _Dialect, expr: str) -> str:
    # Never negative (every time here is <= T), so integer division is the floor on both databases.
    if d.vendor == "postgresql":
        # The difference of two timestamptz is an interval whose whole days are carried into its day
        # field (justify_hours) and whose rest is under 24 h: its day field is the floor, exact, with
        # no numeric arithmetic (EXTRACT(EPOCH ...) returns numeric, several times slower per row).
        return f"CAST(date_part('day', %(at)s - {expr}) AS INTEGER)"
    return f"((%(at_us)s - {d.epoch_us(expr)}) / {DAY_US})"


def _fact_sql(d: _Dialect) -> dict[str, str]:
    start = "(CASE WHEN kc.first_at IS NULL OR c.created_at < kc.first_at THEN c.created_at ELSE kc.first_at END)"
    return {
        "segment": "NULLIF(c.segment, '')",
        "region": "NULLIF(c.region, '')",
        "lifetime_value": "c.lifetime_value",
        "tenure_days": f"CASE WHEN {start} > %(at)s THEN NULL ELSE {_days(d, start)} END",
        "open_tickets": "COALESCE(kc.open_tickets, 0)",
        "open_high_severity_tickets": "COALESCE(kc.open_high, 0)",
        "days_since_oldest_open_ticket": _days(d, "kc.oldest_open_at"),
        "open_tickets_without_eta": "COALESCE(kc.open_without_eta, 0)",
        "eta_given": "(COALESCE(kc.open_without_eta, 0) = 0)",
        "max_issue_recurrence_90d": "COALESCE(ic.max_issue_tickets, 0)",
        "tickets_resolved_30d": "COALESCE(kc.resolved_30d, 0)",
        "days_since_last_resolution": _days(d, "kc.last_resolved_at"),
        "complaints_30d": "COALESCE(kc.complaints_30d, 0)",
        "purchases_90d": "COALESCE(kc.purchases_90d, 0)",
        "days_since_last_purchase": _days(d, "kc.last_purchase_at"),
        "last_survey_score": "(kc.survey_key %% 1000) / 10.0",
        "contacts_7d": "COALESCE(kc.contacts_7d, 0)",
        "days_since_last_contact": _days(d, "kc.last_contact_at"),
    }


def facts_select(vendor: str, *, scope: str) -> tuple[str, str]:
    """The set-based facts as SQL for a bigger statement: (CTE definitions, a SELECT of customer_id and the facts).

    The CTEs are named l, k, kt, kc and ic; the SELECT reads them. Parameters are named (pyformat):
    those of `facts_params`, plus `ids` or `lo`/`hi` for the scope ("all", "ids" or "range").
    """
    d = _Dialect(vendor)
    facts = _fact_sql(d)
    assert list(facts) == [fact.name for fact in CXCORE_FACTS], "every catalogued fact needs one SQL expression"
    opening = "s.kind IN ('ticket_opened', 'ticket_reopened')"
    ticket = "s.kind IN ('ticket_opened', 'ticket_reopened', 'ticket_resolved', 'ticket_eta_given')"
    contact = "s.kind = 'contact' AND s.direction = 'out'"
    survey_counts = "s.kind = 'survey_response' AND s.score >= 0 AND s.scale > 0 AND s.score <= s.scale"
    # The latest response packed with its score in tenths: max() picks the latest, then the higher score.
    survey_key = f"{d.epoch_us('s.occurred_at')} * 1000 + (2 * {d.cents('s.score')} + s.scale) / (2 * s.scale)"

    # Counts stay 4-byte integers at every level: PostgreSQL sums bigints into numeric, whose
    # per-group state is large and slow.
    def count(condition: str) -> str:
        return f"CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS INTEGER)"

    def total(expr: str, name: str | None = None) -> str:
        return f"CAST(SUM({expr}) AS INTEGER) AS {name or expr}"

    ctes = f"""
l AS (
    SELECT s.customer_id AS cid,
        CASE WHEN {ticket} THEN s.ticket_ref ELSE '' END AS ref,
        MIN(s.occurred_at) AS first_at,
        MAX(CASE WHEN {opening} THEN s.occurred_at END) AS open_at,
        MAX(CASE WHEN s.kind = 'ticket_resolved' THEN s.occurred_at END) AS resolved_at,
        MAX(CASE WHEN s.kind = 'ticket_eta_given' THEN s.occurred_at END) AS eta_at,
        MAX(CASE WHEN s.kind = 'ticket_opened' AND s.severity = 'high' THEN 1 ELSE 0 END) AS high,
        {count("s.kind = 'complaint' AND s.occurred_at > %(t30)s")} AS complaints_30d,
        {count("s.kind = 'purchase' AND s.occurred_at > %(t90)s")} AS purchases_90d,
        MAX(CASE WHEN s.kind = 'purchase' THEN s.occurred_at END) AS last_purchase_at,
        {count(f"{contact} AND s.occurred_at > %(t7)s")} AS contacts_7d,
        MAX(CASE WHEN {contact} THEN s.occurred_at END) AS last_contact_at,
        MAX(CASE WHEN {survey_counts} THEN {survey_key} END) AS survey_key
    FROM cxcore_signal s
    WHERE s.occurred_at <= %(at)s AND {_customer_filter(d, "s.customer_id", scope)}
    GROUP BY 1, 2
), kt AS (
    SELECT l.*,
        CASE WHEN ref <> '' AND open_at IS NOT NULL AND (resolved_at IS NULL OR open_at > resolved_at)
            THEN 1 ELSE 0 END AS is_open
    FROM l
), kc AS (
    SELECT cid,
        MIN(first_at) AS first_at,
        {total("is_open", "open_tickets")},
        {total("is_open * high", "open_high")},
        MIN(CASE WHEN is_open = 1 THEN open_at END) AS oldest_open_at,
        {count("is_open = 1 AND (eta_at IS NULL OR eta_at < open_at)")} AS open_without_eta,
        {count("ref <> '' AND resolved_at > %(t30)s")} AS resolved_30d,
        MAX(CASE WHEN ref <> '' THEN resolved_at END) AS last_resolved_at,
        {total("complaints_30d")}, {total("purchases_90d")},
        MAX(last_purchase_at) AS last_purchase_at, {total("contacts_7d")},
        MAX(last_contact_at) AS last_contact_at, MAX(survey_key) AS survey_key
    FROM kt
    GROUP BY cid
), ic AS (
    SELECT cid, MAX(tickets) AS max_issue_tickets
    FROM (
        SELECT s.customer_id AS cid, s.issue_key, COUNT(DISTINCT s.ticket_ref) AS tickets
        FROM cxcore_signal s
        WHERE s.kind = 'ticket_opened' AND s.ticket_ref <> '' AND s.issue_key <> ''
            AND s.occurred_at > %(t90)s AND s.occurred_at <= %(at)s AND {_customer_filter(d, "s.customer_id", scope)}
        GROUP BY 1, 2
    ) per_issue
    GROUP BY cid
)"""
    select = f"""
SELECT c.id AS customer_id, {", ".join(f"{sql} AS {name}" for name, sql in facts.items())}
FROM cxcore_customer c
LEFT JOIN kc ON kc.cid = c.id
LEFT JOIN ic ON ic.cid = c.id
WHERE {_customer_filter(d, "c.id", scope)}"""
    return ctes, select


def facts_upsert_sql(source: str) -> str:
    """INSERT ... SELECT of every fact column from `source` (a CTE or subquery with customer_id and the facts)."""
    names = [fact.name for fact in CXCORE_FACTS]
    columns = ", ".join(names)
    return f"""INSERT INTO cxcore_customerfacts (customer_id, as_of, computed_at, {columns})
SELECT customer_id, %(at)s, %(now)s, {columns} FROM {source} WHERE 1 = 1
ON CONFLICT (customer_id) DO UPDATE SET as_of = excluded.as_of, computed_at = excluded.computed_at,
    {", ".join(f"{name} = excluded.{name}" for name in names)}"""


def _statement(d: _Dialect, *, scope: str) -> str:
    ctes, select = facts_select(d.vendor, scope=scope)
    # INSERT first and the CTEs inside its SELECT: Python's sqlite3 reports no rowcount for a statement
    # that starts with WITH. (`WHERE 1 = 1` tells SQLite's parser the ON CONFLICT is not a join's.)
    return facts_upsert_sql(f"(WITH {ctes} {select}) f")


def facts_params(vendor: str, *, at: dt.datetime) -> dict:
    """The named parameters of `facts_select` for facts as of `at` (the scope's own come apart)."""
    d = _Dialect(vendor)
    at = at.astimezone(dt.UTC)
    return {
        "at": d.datetime_param(at),
        "t7": d.datetime_param(at - dt.timedelta(days=7)),
        "t30": d.datetime_param(at - dt.timedelta(days=30)),
        "t90": d.datetime_param(at - dt.timedelta(days=90)),
        "at_us": (at - _EPOCH) // dt.timedelta(microseconds=1),
        "now": d.datetime_param(timezone.now()),
    }


def facts_compute_all(
    *, at: dt.datetime, customer_ids: Iterable[int] | None = None, id_range: tuple[int, int] | None = None
) -> int:
    """Computes cxcore's facts as of `at` for every customer (or those given, or ids lo <= id < hi) and stores them.

    Returns the number of CustomerFacts rows written.
    """
    d = _Dialect(connection.vendor)
    params = facts_params(d.vendor, at=at)
    scope = "all"
    if customer_ids is not None:
        ids = sorted({int(pk) for pk in customer_ids})
        if not ids:
            return 0
        scope, params["ids"] = "ids", d.ids_param(ids)
    elif id_range is not None:
        scope, (params["lo"], params["hi"]) = "range", id_range
    with transaction.atomic(), connection.cursor() as cursor:
        if d.vendor == "postgresql":
            cursor.execute(FACTS_WORK_MEM)
        cursor.execute(_statement(d, scope=scope), params)
        return cursor.rowcount
