"""What the event-time path reads of the customers it brings up to date: the customers themselves (claimed by
a run, or read unlocked), their stored stages, their queued changes and their signals.

Reads only; the event-time path (event_time.py) works out and writes their histories.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, make_dataclass
from decimal import Decimal

from django.db import connection

from cxcore.db import fast_rows, hot_cursor
from cxcore.facts.catalogue import CXCORE_FACTS
from cxcore.facts.folds import KIND, OCCURRED_AT, Profile
from cxcore.facts.per_customer import SIGNAL_COLUMNS
from cxcore.models import Customer, Signal
from cxcore.selectors import customer_changes_last, customer_changes_since, customers_changed

# The profile fields cxcore's facts read (their Profile folds' columns).
PROFILE_FIELDS = tuple(fact.fold.column for fact in CXCORE_FACTS if isinstance(fact.fold, Profile))

# A customer claimed by an incremental run: what the facts read of the profile, and dirty_since. Stands in
# for the Customer model (the facts read the same attributes): building ten thousand model instances cost a
# third of the run.
Claimed = make_dataclass(
    "Claimed",
    [
        ("pk", int),
        ("created_at", dt.datetime),
        ("dirty_since", dt.datetime | None),
        *((name, str | Decimal | None) for name in PROFILE_FIELDS),
    ],
    slots=True,
)


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored stage as the claim reads it beside the customer (CustomerStage's fields the path uses)."""

    stage: str
    since: dt.datetime
    previous_stage: str | None
    evaluated_through: dt.datetime
    settled: bool


# What the claim reads of a customer (the Claimed fields) and of their stored stage, in one statement.
CLAIMED = tuple(Claimed.__dataclass_fields__)
STORED = tuple(f"stage_state__{name}" for name in Stored.__dataclass_fields__)


def claim_changed(*, at: dt.datetime, batch: int) -> tuple[list[Claimed], dict[int, Stored]]:
    """Locks up to `batch` customers with changes up to `at` (skipping those another worker holds); returns
    them with their stored stages. FOR NO KEY UPDATE: rows that refer to a customer (a view record, a
    signal, a logged decision) are still written while the batch holds them."""
    claimed = (
        customers_changed(at=at)
        .select_for_update(skip_locked=True, of=("self",), no_key=True)
        .order_by("pk")
        .values_list(*CLAIMED, *STORED)[:batch]
    )
    customers, stored = [], {}
    split = len(CLAIMED)
    for row in fast_rows(claimed):
        customers.append(Claimed(*row[:split]))
        if row[split] is not None:
            stored[row[0]] = Stored(*row[split:])
    return customers, stored


def with_inputs(customers, *, at: dt.datetime):
    """The customers annotated with what an unlocked evaluation reads of their queued changes up to `at`."""
    return customers.annotate(changes_since=customer_changes_since(), last_change=customer_changes_last(until=at))


def inputs_read(customer_ids: list[int], *, at: dt.datetime) -> dict[int, tuple]:
    """What an evaluation up to `at` depends on, besides the signals: dirty_since, the stored stage's
    evaluated_through, and the earliest and the last change queued up to `at`."""
    rows = with_inputs(Customer.objects.filter(pk__any_of=customer_ids), at=at).values_list(
        "pk", "dirty_since", "stage_state__evaluated_through", "changes_since", "last_change"
    )
    return {
        pk: (dirty, through, since if since is not None and since <= at else None, last)
        for pk, dirty, through, since, last in rows
    }


@dataclass(frozen=True, slots=True)
class ReadFrom:
    """Where a customer's signal read starts, going on from their checkpoint: every signal after `after`,
    and before it those of `kinds` after `clocks` (the signals a clock counts from: None, every kind)."""

    after: dt.datetime
    clocks: dt.datetime
    kinds: frozenset[str] | None

    def wants(self, row: tuple) -> bool:
        at = row[OCCURRED_AT]
        return at > self.after or (at > self.clocks and (self.kinds is None or row[KIND] in self.kinds))


def _signals_after_sql() -> str:
    quote = connection.ops.quote_name
    column = {field.name: quote(field.column) for field in Signal._meta.concrete_fields}
    columns = ", ".join(f"s.{column[name]}" for name in ("customer", *SIGNAL_COLUMNS))
    occurred_at, kind = f"s.{column['occurred_at']}", f"s.{column['kind']}"
    # One index range per customer from the earlier of their bounds; before `after`, the clocks' kinds only.
    return f"""SELECT {columns} FROM {quote(Signal._meta.db_table)} s
        JOIN unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS b(cid, after, clocks)
            ON s.{column["customer"]} = b.cid
        WHERE {occurred_at} > COALESCE(LEAST(b.after, b.clocks), '-infinity'::timestamptz) AND {occurred_at} <= %s
            AND (b.after IS NULL OR {occurred_at} > b.after OR %s::text[] IS NULL OR {kind} = ANY(%s::text[]))
        ORDER BY s.{column["customer"]}, {occurred_at}, s.{quote(Signal._meta.pk.column)}"""


def signal_rows(
    *, customer_ids: list[int], at: dt.datetime, since: dict[int, ReadFrom] | None = None
) -> dict[int, list[tuple]]:
    """Each customer's signals up to `at` as SIGNAL_COLUMNS tuples in time order: all of them, or for the
    customers `since` names, those it wants (their checkpoint holds the others' part in the facts)."""
    since = since or {}
    rows_by_customer: dict[int, list[tuple]] = defaultdict(list)
    if connection.vendor == "postgresql" and since:
        bounds = [since.get(pk) for pk in customer_ids]
        kinds = next((sorted(b.kinds) if b.kinds is not None else None for b in bounds if b is not None), None)
        with hot_cursor(binary=True) as cursor:
            cursor.execute(
                _signals_after_sql(),
                [
                    customer_ids,
                    [None if b is None else b.after for b in bounds],
                    [None if b is None else b.clocks for b in bounds],
                    at,
                    kinds,
                    kinds,
                ],
            )
            for customer_id, *row in cursor.fetchall():
                rows_by_customer[customer_id].append(tuple(row))
        return rows_by_customer
    signals = (
        Signal.objects.filter(customer_id__any_of=customer_ids, occurred_at__lte=at)
        .order_by("customer_id", "occurred_at", "id")
        .values_list("customer_id", *SIGNAL_COLUMNS)
    )
    # SQLite (development and tests): every signal is read, and those not wanted are left out here.
    for customer_id, *row in fast_rows(signals):
        start = since.get(customer_id)
        if start is None or start.wants(row):
            rows_by_customer[customer_id].append(tuple(row))
    return rows_by_customer


class SignalReader:
    """Reads customers' signals in a thread of its own, on a connection of its own, one part ahead.

    The incremental run then evaluates one part (Python) while the database reads the next, instead
    of waiting for it. The second connection sees what is committed, which holds every signal of the
    changes the run took (committed with them); a caller inside a transaction of its own (a test,
    for one) reads on its own connection instead.
    """

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signal-reader")

    def ahead(
        self, parts: list[list], *, at: dt.datetime, since: dict[int, ReadFrom] | None = None
    ) -> Iterator[dict[int, list[tuple]]]:
        """Each part's signals (as signal_rows), the next part's read started before this one is given."""
        pending = None
        for part in parts:
            ids = [customer.pk for customer in part]
            started = self.pool.submit(signal_rows, customer_ids=ids, at=at, since=since)
            if pending is not None:
                yield pending.result()
            pending = started
        if pending is not None:
            yield pending.result()

    def close(self) -> None:
        # Run in the reader's thread, where `connection` is the reader's own.
        self.pool.submit(lambda: connection.close()).result()
        self.pool.shutdown()
