"""Facts of every customer as of T in one SQL statement, stored in CustomerFacts.

The statement is assembled from the folds of the fact definitions (catalogue.py, folds.py): it
reads the signals up to T once (and a fold may read some again in a CTE of its own: the ticket
openings of an issue's window). Level 1 (`l`) aggregates them per (customer, ticket_ref), the
signals of no ticket in one group per customer, carrying the per-customer partial counts along;
`kt` adds each ticket's state; level 2 (`kc`) aggregates per customer. Each stored column is then
one expression of its fold over the customer row and these aggregates.

A row holds counts and, for each "days since" fact, the instant it counts from (FactDef.column),
with the first instant at which time alone changes a count (`valid_until_us`: the earliest of the
folds' expiries, such as a signal leaving a window, and the next signal after T). The facts at any
T in [as_of, valid_until) are read from the row (`stored_facts_sql`, and selectors.fact_expressions
for the ORM); `facts_refresh` computes again only the rows that are not valid at T, so a daily run
reads the signals of the customers something happened to, not of everyone.

It runs on PostgreSQL and SQLite; the only differences are in sql.Dialect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cxcore.models import Customer, CustomerChange, CustomerFacts, Signal

from .catalogue import CXCORE_FACTS, FactDef
from .days import epoch_us
from .sql import Dialect, window_param

# The per-ticket aggregate of a chunk of customers fits in memory instead of spilling to disk.
FACTS_WORK_MEM = "SET LOCAL work_mem = '256MB'"
# JIT compiling the statement's forty-odd expressions costs more than it saves on a chunk's rows (as for
# the stages' statement).
FACTS_NO_JIT = "SET LOCAL jit = off"
# A range of customers comes off the (customer_id, occurred_at) index in customer order: grouping it
# as it streams by (a small sort of each customer's tickets) costs less than hashing every row and
# keeps the aggregate's memory small. The planner prices the hash lower, so it is told.
FACTS_STREAM_GROUPS = "SET LOCAL enable_hashagg = off"


def _customer_filter(d: Dialect, column: str, scope: str) -> str:
    """Which customers: every one, those of a list (`ids`), or a half-open id range (`lo` <= id < `hi`).

    A range keeps each chunk of a full run one index range (or a cheap seq-scan filter) instead of
    an array lookup per row.
    """
    if scope == "all":
        return "1 = 1"
    if scope == "ids":
        return d.in_ids(column)
    return f"{column} >= %(lo)s AND {column} < %(hi)s"


def stored_columns(facts: tuple[FactDef, ...] = CXCORE_FACTS) -> list[str]:
    """The CustomerFacts columns a computation writes besides customer_id, as_of and computed_at."""
    return ["valid_until_us", *(fact.column for fact in facts)]


def _merge(into: dict[str, str], columns: dict[str, str]) -> None:
    """Adds named aggregates; folds share one by naming it alike, with the same SQL."""
    for name, sql in columns.items():
        if into.setdefault(name, sql) != sql:
            raise ValueError(f"two folds define the aggregate {name!r} differently")


def _select_list(columns: dict[str, str], indent: str = "\n        ") -> str:
    return f",{indent}".join(name if sql == name else f"{sql} AS {name}" for name, sql in columns.items())


def facts_select(vendor: str, *, scope: str, facts: tuple[FactDef, ...] = CXCORE_FACTS) -> tuple[str, str]:
    """The stored columns of `facts` as SQL for a bigger statement: (CTE definitions, a SELECT of customer_id
    and the columns).

    The CTEs are l, kt, kc, the folds' own and nx; the SELECT reads them. Parameters are named
    (pyformat): those of `facts_params`, plus `ids` or `lo`/`hi` for the scope ("all", "ids" or "range").
    """
    d = Dialect(vendor)
    signals, customers = Signal._meta.db_table, _customer_filter(d, "s.customer_id", scope)
    level1 = {"cid": "s.customer_id", "ref": "s.ticket_ref"}
    per_ticket, level2, own, stored, expiries = {"l.*": "l.*"}, {"cid": "cid"}, {}, {}, []
    for fact in facts:
        fold, key = fact.fold, fact.column
        _merge(level1, fold.level1(d, key))
        _merge(per_ticket, fold.per_ticket(d, key))
        _merge(level2, fold.level2(d, key))
        _merge(own, fold.ctes(d, key, signals=signals, customers=customers))
        stored[key] = fold.stored(d, key)
        expiries += fold.expiries(d, key)
    # Conservative is safe: a row that expires early is only computed again.
    expiries.append(d.epoch_us("nx.next_at"))
    columns = {"customer_id": "c.id", "valid_until_us": d.least(expiries), **stored}
    ctes = [
        f"""
l AS (
    SELECT {_select_list(level1)}
    FROM {signals} s
    WHERE s.occurred_at <= %(at)s AND {customers}
    GROUP BY 1, 2
)""",
        f"""kt AS (
    SELECT {_select_list(per_ticket)}
    FROM l
)""",
        f"""kc AS (
    SELECT {_select_list(level2)}
    FROM kt
    GROUP BY cid
)""",
        *(f"{name} AS (\n    {sql}\n)" for name, sql in own.items()),
        f"""nx AS (
    SELECT s.customer_id AS cid, MIN(s.occurred_at) AS next_at
    FROM {signals} s
    WHERE s.occurred_at > %(at)s AND {customers}
    GROUP BY 1
)""",
    ]
    joins = "".join(f"\nLEFT JOIN {name} ON {name}.cid = c.id" for name in ("kc", *own, "nx"))
    select = f"""
SELECT {_select_list(columns, " ")}
FROM {Customer._meta.db_table} c{joins}
WHERE {_customer_filter(d, "c.id", scope)}"""
    return ", ".join(ctes), select


def stored_facts_sql(vendor: str, alias: str, facts: tuple[FactDef, ...] = CXCORE_FACTS) -> dict[str, str]:
    """Each fact as of %(at)s as SQL over a CustomerFacts row `alias` valid at that time."""
    d = Dialect(vendor)
    read = {}
    for fact in facts:
        column = f"{alias}.{fact.column}"
        if not fact.counts_days:
            read[fact.name] = column
        elif fact.fold.may_start_after_t:
            read[fact.name] = f"CASE WHEN {column} > %(at)s THEN NULL ELSE {d.days(column)} END"
        else:
            read[fact.name] = d.days(column)
    return read


def facts_valid_sql(alias: str) -> str:
    """A CustomerFacts row `alias` gives the facts at %(at)s (it may still miss newer signals: see _stale_sql)."""
    return f"({alias}.as_of <= %(at)s AND ({alias}.valid_until_us IS NULL OR {alias}.valid_until_us > %(at_us)s))"


def facts_upsert_sql(source: str, *, upsert: bool = True) -> str:
    """INSERT ... SELECT of every stored column from `source` (a CTE or subquery with customer_id and the columns),
    replacing a stored row (`upsert`) or not (a stored row makes it fail)."""
    names = stored_columns()
    columns = ", ".join(names)
    insert = f"""INSERT INTO {CustomerFacts._meta.db_table} (customer_id, as_of, computed_at, {columns})
SELECT customer_id, %(at)s, %(now)s, {columns} FROM {source} WHERE 1 = 1"""
    if not upsert:
        return insert
    return f"""{insert}
ON CONFLICT (customer_id) DO UPDATE SET as_of = excluded.as_of, computed_at = excluded.computed_at,
    {", ".join(f"{name} = excluded.{name}" for name in names)}"""


def _statement(d: Dialect, *, scope: str, upsert: bool = True) -> str:
    ctes, select = facts_select(d.vendor, scope=scope)
    # INSERT first and the CTEs inside its SELECT: Python's sqlite3 reports no rowcount for a statement
    # that starts with WITH. (`WHERE 1 = 1` tells SQLite's parser the ON CONFLICT is not a join's.)
    return facts_upsert_sql(f"(WITH {ctes} {select}) f", upsert=upsert)


def _insert_or_upsert(cursor, d: Dialect, *, scope: str, params: dict) -> int:
    """Writes the rows of a scope that held no stored row when the caller looked: a plain INSERT, which costs
    PostgreSQL about an eighth less than the upsert's speculative insertion of every row (a cold run after an
    import writes a million). A row stored meanwhile by another connection (the event-time path) makes it
    fail: the upsert then writes the scope again, replacing it."""
    try:
        with transaction.atomic():
            cursor.execute(_statement(d, scope=scope, upsert=False), params)
            return cursor.rowcount
    except IntegrityError:
        cursor.execute(_statement(d, scope=scope), params)
        return cursor.rowcount


def facts_params(vendor: str, *, at: dt.datetime, facts: tuple[FactDef, ...] = CXCORE_FACTS) -> dict:
    """The named parameters of `facts_select` for `facts` as of `at` (the scope's own come apart): the
    start of each fold's window among them."""
    d = Dialect(vendor)
    at = at.astimezone(dt.UTC)
    windows = sorted({fact.window_days for fact in facts if fact.window_days})
    return {
        "at": d.datetime_param(at),
        **{window_param(days): d.datetime_param(at - dt.timedelta(days=days)) for days in windows},
        "at_us": epoch_us(at),
        "now": d.datetime_param(timezone.now()),
    }


def facts_compute_all(
    *,
    at: dt.datetime,
    customer_ids: Iterable[int] | None = None,
    id_range: tuple[int, int] | None = None,
    none_stored: bool = False,
) -> int:
    """Computes cxcore's facts as of `at` for every customer (or those given, or ids lo <= id < hi) and stores them.

    `none_stored`: the caller found none of them with a stored row (a cold run's range), so the rows are
    inserted rather than upserted while that holds. Returns the number of CustomerFacts rows written.
    """
    d = Dialect(connection.vendor)
    params = facts_params(d.vendor, at=at)
    scope = "all"
    if customer_ids is not None:
        ids = sorted({int(pk) for pk in customer_ids})
        if not ids:
            return 0
        scope, params["ids"] = "ids", d.ids_param(ids)
    elif id_range is not None:
        scope, (params["lo"], params["hi"]) = "range", id_range
    stream = d.postgresql and scope == "range"
    with transaction.atomic(), connection.cursor() as cursor:
        if d.postgresql:
            cursor.execute(FACTS_WORK_MEM)
            cursor.execute(FACTS_NO_JIT)
        if stream:
            cursor.execute(FACTS_STREAM_GROUPS)
        if none_stored:
            written = _insert_or_upsert(cursor, d, scope=scope, params=params)
        else:
            cursor.execute(_statement(d, scope=scope), params)
            written = cursor.rowcount
        if stream:
            # SET LOCAL lasts to the end of the caller's transaction, whose other statements it is not for.
            cursor.execute("SET LOCAL enable_hashagg TO DEFAULT")
        return written


# Customers per statement when computing again a list of them: a bounded array parameter.
REFRESH_CHUNK = 50_000


def _stale_sql(d: Dialect, *, scope: str) -> str:
    profile = (fact.fold.profile_changed(d, fact.column, "f") for fact in CXCORE_FACTS)
    # The range on both sides: the join reads the facts of the range only.
    return f"""SELECT c.id FROM {Customer._meta.db_table} c
LEFT JOIN {CustomerFacts._meta.db_table} f ON f.customer_id = c.id AND {_customer_filter(d, "f.customer_id", scope)}
WHERE {_customer_filter(d, "c.id", scope)} AND (
    f.customer_id IS NULL OR NOT {facts_valid_sql("f")} OR c.dirty_since <= %(at)s
    OR c.id IN (SELECT q.customer_id FROM {CustomerChange._meta.db_table} q WHERE q.since <= %(at)s)
    OR {" OR ".join(changed for changed in profile if changed)}
)
ORDER BY c.id"""


def facts_refresh(*, at: dt.datetime, id_range: tuple[int, int] | None = None) -> int:
    """Makes the stored rows of every customer (or of ids lo <= id < hi) give their facts at `at`; returns
    how many rows were computed again.

    Only the rows that do not already are computed again: missing ones, expired ones (valid_until),
    ones computed for a later time, and those of customers with signals not evaluated yet
    (dirty_since, or changes the ingest queued) or whose profile changed.
    """
    d = Dialect(connection.vendor)
    params = facts_params(d.vendor, at=at)
    scope = "all"
    if id_range is not None:
        scope, (params["lo"], params["hi"]) = "range", id_range
    with connection.cursor() as cursor:
        cursor.execute(_stale_sql(d, scope=scope), params)
        stale = [pk for (pk,) in cursor.fetchall()]
    if id_range is not None and len(stale) * 2 > id_range[1] - id_range[0]:
        # Most of the range: one pass over its signals beats looking up each customer's.
        lo, hi = id_range
        none_stored = not CustomerFacts.objects.filter(customer_id__gte=lo, customer_id__lt=hi).exists()
        facts_compute_all(at=at, id_range=id_range, none_stored=none_stored)
        return len(stale)
    for start in range(0, len(stale), REFRESH_CHUNK):
        facts_compute_all(at=at, customer_ids=stale[start : start + REFRESH_CHUNK])
    return len(stale)
