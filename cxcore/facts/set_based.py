"""Facts of every customer as of T in one SQL statement, stored in CustomerFacts.

The statement reads the signals up to T once, and the ticket openings of the last 90 days once
more. Level 1 (`l`) aggregates them per (customer, ticket_ref), the signals of no ticket in one
group per customer, carrying the per-customer partial counts along. A ticket's state reads only
the ticket kinds of its group, so another kind of signal naming a ticket may share the group: the
groups follow the column as stored (no expression to sort by per row). Level 2 (`kc`) per customer,
and beside it `ic`, the distinct tickets per issue opened in the window. Each stored column is then
one expression (`_state_sql`) over the customer row and these aggregates, named like the fields of
per_customer.Summary, which computes the same in Python.

A row holds counts and, for each "days since" fact, the instant it counts from (DAY_FACT_ANCHORS),
with the first instant at which time alone changes a count (`valid_until_us`: the earliest signal
to leave a window, the next signal after T). The facts at any T in [as_of, valid_until) are read
from the row (`stored_facts_sql`, and selectors.fact_expressions for the ORM); `facts_refresh`
computes again only the rows that are not valid at T, so a daily run reads the signals of the
customers something happened to, not of everyone.

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
# A range of customers comes off the (customer_id, occurred_at) index in customer order: grouping it
# as it streams by (a small sort of each customer's tickets) beats hashing every row, by a fifth
# of the statement (3.4 s against 4.2 s for 250,000 customers' 2.5M signals), and keeps the
# aggregate's memory small. The planner prices the hash lower, so it is told.
FACTS_STREAM_GROUPS = "SET LOCAL enable_hashagg = off"
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

    def least(self, exprs: list[str]) -> str:
        """The smallest non-null value; null when all are null."""
        if self.vendor == "postgresql":
            return f"LEAST({', '.join(exprs)})"
        # SQLite's min() of several arguments is null as soon as one is.
        never = str(2**62)
        return f"NULLIF(min({', '.join(f'COALESCE({e}, {never})' for e in exprs)}), {never})"

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


# Each "days since" fact is stored as the instant it counts from; the day count is taken at read time.
DAY_FACT_ANCHORS = {
    "tenure_days": "tenure_start",
    "days_since_oldest_open_ticket": "oldest_open_ticket_at",
    "days_since_last_resolution": "last_resolution_at",
    "days_since_last_purchase": "last_purchase_at",
    "days_since_last_contact": "last_contact_at",
}
# The windows of the counts (days), with the column of the earliest signal inside each, as of T.
_WINDOW_STARTS = {
    "kc.complaints_from": 30,
    "kc.purchases_from": 90,
    "kc.contacts_from": 7,
    "kc.resolved_from": 30,
    "ic.openings_from": 90,
}


def stored_columns() -> list[str]:
    """The CustomerFacts columns a computation writes besides customer_id, as_of and computed_at."""
    return ["valid_until_us", *(DAY_FACT_ANCHORS.get(fact.name, fact.name) for fact in CXCORE_FACTS)]


def _state_sql(d: _Dialect) -> dict[str, str]:
    start = "(CASE WHEN kc.first_at IS NULL OR c.created_at < kc.first_at THEN c.created_at ELSE kc.first_at END)"
    # Conservative is safe: a row that expires early is only computed again.
    expiries = [f"{d.epoch_us(column)} + {days} * {DAY_US}" for column, days in _WINDOW_STARTS.items()]
    expiries += [d.epoch_us("nx.next_at"), f"CASE WHEN {start} > %(at)s THEN {d.epoch_us(start)} END"]
    columns = {
        "valid_until_us": d.least(expiries),
        "segment": "NULLIF(c.segment, '')",
        "region": "NULLIF(c.region, '')",
        "lifetime_value": "c.lifetime_value",
        "tenure_start": start,
        "open_tickets": "COALESCE(kc.open_tickets, 0)",
        "open_high_severity_tickets": "COALESCE(kc.open_high, 0)",
        "oldest_open_ticket_at": "kc.oldest_open_at",
        "open_tickets_without_eta": "COALESCE(kc.open_without_eta, 0)",
        "eta_given": "(COALESCE(kc.open_without_eta, 0) = 0)",
        "max_issue_recurrence_90d": "COALESCE(ic.max_issue_tickets, 0)",
        "tickets_resolved_30d": "COALESCE(kc.resolved_30d, 0)",
        "last_resolution_at": "kc.last_resolved_at",
        "complaints_30d": "COALESCE(kc.complaints_30d, 0)",
        "purchases_90d": "COALESCE(kc.purchases_90d, 0)",
        "last_purchase_at": "kc.last_purchase_at",
        "last_survey_score": "(kc.survey_key %% 1000) / 10.0",
        "contacts_7d": "COALESCE(kc.contacts_7d, 0)",
        "last_contact_at": "kc.last_contact_at",
    }
    assert list(columns) == stored_columns(), "every stored column needs one SQL expression"
    return columns


def stored_facts_sql(vendor: str, alias: str) -> dict[str, str]:
    """Each cxcore fact as of %(at)s as SQL over a CustomerFacts row `alias` valid at that time."""
    d = _Dialect(vendor)
    facts = {}
    for fact in CXCORE_FACTS:
        anchor = DAY_FACT_ANCHORS.get(fact.name)
        if anchor is None:
            facts[fact.name] = f"{alias}.{fact.name}"
        elif fact.name == "tenure_days":
            # A customer created after T has no tenure yet (their row then expires at the creation).
            facts[fact.name] = f"CASE WHEN {alias}.{anchor} > %(at)s THEN NULL ELSE {_days(d, f'{alias}.{anchor}')} END"
        else:
            facts[fact.name] = _days(d, f"{alias}.{anchor}")
    return facts


def facts_valid_sql(alias: str) -> str:
    """A CustomerFacts row `alias` gives the facts at %(at)s (it may still miss newer signals: see _stale_sql)."""
    return f"({alias}.as_of <= %(at)s AND ({alias}.valid_until_us IS NULL OR {alias}.valid_until_us > %(at_us)s))"


def facts_select(vendor: str, *, scope: str) -> tuple[str, str]:
    """The stored columns as SQL for a bigger statement: (CTE definitions, a SELECT of customer_id and the columns).

    The CTEs are named l, kt, kc, ic and nx; the SELECT reads them. Parameters are named (pyformat):
    those of `facts_params`, plus `ids` or `lo`/`hi` for the scope ("all", "ids" or "range").
    """
    d = _Dialect(vendor)
    columns = _state_sql(d)
    opening = "s.kind IN ('ticket_opened', 'ticket_reopened')"
    contact = "s.kind = 'contact' AND s.direction = 'out'"
    survey_counts = "s.kind = 'survey_response' AND s.score >= 0 AND s.scale > 0 AND s.score <= s.scale"
    # The latest response packed with its score in tenths: max() picks the latest, then the higher score.
    survey_key = f"{d.epoch_us('s.occurred_at')} * 1000 + (2 * {d.cents('s.score')} + s.scale) / (2 * s.scale)"
    complaint = "s.kind = 'complaint' AND s.occurred_at > %(t30)s"
    purchase = "s.kind = 'purchase' AND s.occurred_at > %(t90)s"
    recent_contact = f"{contact} AND s.occurred_at > %(t7)s"

    # Counts stay 4-byte integers at every level: PostgreSQL sums bigints into numeric, whose
    # per-group state is large and slow.
    def count(condition: str) -> str:
        return f"CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS INTEGER)"

    def total(expr: str, name: str | None = None) -> str:
        return f"CAST(SUM({expr}) AS INTEGER) AS {name or expr}"

    ctes = f"""
l AS (
    SELECT s.customer_id AS cid,
        s.ticket_ref AS ref,
        MIN(s.occurred_at) AS first_at,
        MAX(CASE WHEN {opening} THEN s.occurred_at END) AS open_at,
        MAX(CASE WHEN s.kind = 'ticket_resolved' THEN s.occurred_at END) AS resolved_at,
        MAX(CASE WHEN s.kind = 'ticket_eta_given' THEN s.occurred_at END) AS eta_at,
        MAX(CASE WHEN s.kind = 'ticket_opened' AND s.severity = 'high' THEN 1 ELSE 0 END) AS high,
        {count(complaint)} AS complaints_30d,
        MIN(CASE WHEN {complaint} THEN s.occurred_at END) AS complaints_from,
        {count(purchase)} AS purchases_90d,
        MIN(CASE WHEN {purchase} THEN s.occurred_at END) AS purchases_from,
        MAX(CASE WHEN s.kind = 'purchase' THEN s.occurred_at END) AS last_purchase_at,
        {count(recent_contact)} AS contacts_7d,
        MIN(CASE WHEN {recent_contact} THEN s.occurred_at END) AS contacts_from,
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
        MIN(CASE WHEN ref <> '' AND resolved_at > %(t30)s THEN resolved_at END) AS resolved_from,
        MAX(CASE WHEN ref <> '' THEN resolved_at END) AS last_resolved_at,
        {total("complaints_30d")}, MIN(complaints_from) AS complaints_from,
        {total("purchases_90d")}, MIN(purchases_from) AS purchases_from,
        MAX(last_purchase_at) AS last_purchase_at,
        {total("contacts_7d")}, MIN(contacts_from) AS contacts_from,
        MAX(last_contact_at) AS last_contact_at, MAX(survey_key) AS survey_key
    FROM kt
    GROUP BY cid
), ic AS (
    SELECT cid, MAX(tickets) AS max_issue_tickets, MIN(first_opened) AS openings_from
    FROM (
        SELECT s.customer_id AS cid, s.issue_key, COUNT(DISTINCT s.ticket_ref) AS tickets,
            MIN(s.occurred_at) AS first_opened
        FROM cxcore_signal s
        WHERE s.kind = 'ticket_opened' AND s.ticket_ref <> '' AND s.issue_key <> ''
            AND s.occurred_at > %(t90)s AND s.occurred_at <= %(at)s AND {_customer_filter(d, "s.customer_id", scope)}
        GROUP BY 1, 2
    ) per_issue
    GROUP BY cid
), nx AS (
    SELECT s.customer_id AS cid, MIN(s.occurred_at) AS next_at
    FROM cxcore_signal s
    WHERE s.occurred_at > %(at)s AND {_customer_filter(d, "s.customer_id", scope)}
    GROUP BY 1
)"""
    select = f"""
SELECT c.id AS customer_id, {", ".join(f"{sql} AS {name}" for name, sql in columns.items())}
FROM cxcore_customer c
LEFT JOIN kc ON kc.cid = c.id
LEFT JOIN ic ON ic.cid = c.id
LEFT JOIN nx ON nx.cid = c.id
WHERE {_customer_filter(d, "c.id", scope)}"""
    return ctes, select


def facts_upsert_sql(source: str) -> str:
    """INSERT ... SELECT of every stored column from `source` (a CTE or subquery with customer_id and the columns)."""
    names = stored_columns()
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
    stream = d.vendor == "postgresql" and scope == "range"
    with transaction.atomic(), connection.cursor() as cursor:
        if d.vendor == "postgresql":
            cursor.execute(FACTS_WORK_MEM)
        if stream:
            cursor.execute(FACTS_STREAM_GROUPS)
        cursor.execute(_statement(d, scope=scope), params)
        written = cursor.rowcount
        if stream:
            # SET LOCAL lasts to the end of the caller's transaction, whose other statements it is not for.
            cursor.execute("SET LOCAL enable_hashagg TO DEFAULT")
        return written


# Customers per statement when computing again a list of them: a bounded array parameter.
REFRESH_CHUNK = 50_000


def _stale_sql(d: _Dialect, *, scope: str) -> str:
    distinct = "IS DISTINCT FROM" if d.vendor == "postgresql" else "IS NOT"
    # The range on both sides: the join reads the facts of the range only.
    return f"""SELECT c.id FROM cxcore_customer c
LEFT JOIN cxcore_customerfacts f ON f.customer_id = c.id AND {_customer_filter(d, "f.customer_id", scope)}
WHERE {_customer_filter(d, "c.id", scope)} AND (
    f.customer_id IS NULL OR NOT {facts_valid_sql("f")} OR c.dirty_since <= %(at)s
    OR c.id IN (SELECT q.customer_id FROM cxcore_customerchange q WHERE q.since <= %(at)s)
    OR NULLIF(c.segment, '') {distinct} f.segment OR NULLIF(c.region, '') {distinct} f.region
    OR c.lifetime_value <> f.lifetime_value
)
ORDER BY c.id"""


def facts_refresh(*, at: dt.datetime, id_range: tuple[int, int] | None = None) -> int:
    """Makes the stored rows of every customer (or of ids lo <= id < hi) give their facts at `at`; returns
    how many rows were computed again.

    Only the rows that do not already are computed again: missing ones, expired ones (valid_until),
    ones computed for a later time, and those of customers with signals not evaluated yet
    (dirty_since, or changes the ingest queued) or whose profile changed.
    """
    d = _Dialect(connection.vendor)
    params = facts_params(d.vendor, at=at)
    scope = "all"
    if id_range is not None:
        scope, (params["lo"], params["hi"]) = "range", id_range
    with connection.cursor() as cursor:
        cursor.execute(_stale_sql(d, scope=scope), params)
        stale = [pk for (pk,) in cursor.fetchall()]
    if id_range is not None and len(stale) * 2 > id_range[1] - id_range[0]:
        # Most of the range: one pass over its signals beats looking up each customer's.
        facts_compute_all(at=at, id_range=id_range)
        return len(stale)
    for start in range(0, len(stale), REFRESH_CHUNK):
        facts_compute_all(at=at, customer_ids=stale[start : start + REFRESH_CHUNK])
    return len(stale)
