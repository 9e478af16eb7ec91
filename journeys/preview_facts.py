"""The stored facts rows as they stand at a campaign's start, for the preview to read (DESIGN.md 8, 9).

A stored CustomerFacts row gives a customer's facts at any T in [as_of, valid_until): a day count moves
with T and is read to `at` by the columns themselves, but a windowed count (complaints_30d, purchases_90d)
drops a signal when it leaves its window, and a row past its `valid_until_us` no longer gives the facts at
T. The decision API computes the facts at `at` from the signals, so for the preview to answer what it
answers, the rows that are not valid at `at` (expired, missing, or of customers with signals not evaluated
yet) are computed at `at` by cxcore's own set-based statement (`facts_refresh`).

They must not be written into the stored rows, which every other reader takes to be as of the last run
(a row computed for a future time reads as invalid now). So they are computed into a temporary copy of the
table, named as the table is: a temporary table is found before the real one by both PostgreSQL and SQLite,
so `facts_refresh` and the preview's ORM queries read and write the copy, unchanged, inside the preview's
transaction, and the copy is dropped at its end. When every row is valid at `at` (the usual case for a
start within the day), nothing is copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from cxcore.facts.selectors import facts_valid_at
from cxcore.facts.set_based import facts_refresh
from cxcore.models import Customer, CustomerChange, CustomerFacts
from membrane.stages.projection import stages_projected_to


def facts_stale_at(at: dt.datetime) -> bool:
    """Whether some customer's stored row does not give their facts at `at` (as facts_refresh judges,
    profile edits aside: a profile is written with its facts). Every customer has at most one row, so fewer
    valid rows than customers means one is missing or expired: two counts, cheaper than an anti-join."""
    return (
        CustomerFacts.objects.filter(facts_valid_at(at=at, prefix="")).count() < Customer.objects.count()
        or Customer.objects.filter(dirty_since__lte=at).exists()
        or CustomerChange.objects.filter(since__lte=at).exists()
    )


@contextmanager
def facts_standing_at(at: dt.datetime) -> Iterator[bool]:
    """Inside: CustomerFacts gives every customer's facts at `at`, and CustomerStage their stage at `at` as the
    decision API projects it (membrane.stages.projection: a stage time alone changes before `at`). Yields
    whether facts rows were computed."""
    with stages_projected_to(at), _facts_at(at) as computed:
        yield computed


@contextmanager
def _facts_at(at: dt.datetime) -> Iterator[bool]:
    """Inside: CustomerFacts gives every customer's facts at `at`. Yields whether rows were computed (then
    inside a transaction that holds the copy)."""
    table = CustomerFacts._meta.db_table
    postgresql = connection.vendor == "postgresql"
    if not facts_stale_at(at):
        yield False
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            if postgresql:
                cursor.execute(f"CREATE TEMPORARY TABLE {table} (LIKE public.{table} INCLUDING DEFAULTS)")
                cursor.execute(f"INSERT INTO pg_temp.{table} SELECT * FROM public.{table}")
                cursor.execute(f"ALTER TABLE pg_temp.{table} ADD PRIMARY KEY (customer_id)")
                cursor.execute(f"ANALYZE pg_temp.{table}")
            else:
                cursor.execute(f"CREATE TEMPORARY TABLE {table} AS SELECT * FROM main.{table}")
                cursor.execute(f"CREATE UNIQUE INDEX temp.{table}_preview ON {table} (customer_id)")
        facts_refresh(at=at)
        yield True
        # An error inside rolls the copy back with the transaction; done, it is dropped here, as the
        # transaction may be a savepoint of a longer one that must see the real table again.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {'pg_temp' if postgresql else 'temp'}.{table}")
