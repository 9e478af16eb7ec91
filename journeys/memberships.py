"""Which campaigns' audiences hold each customer, read set-based: the pass arbitration and conflicts share.

Every campaign's audience (journeys.audiences.campaign_audience_q: its expression over the stored facts, and its
list joined when it has one) becomes one boolean column;
ONE `GROUP BY` over the population gives each distinct pattern of memberships with its count, so every pair
of campaigns is intersected in one scan instead of one join per pair. Further boolean columns (a cap's
condition) join the pattern; `counted` columns (a campaign's suppressed members) are counted per pattern
instead, so they do not multiply the patterns.

An audience is read at `at` when one is given, else at its campaign's start, or now for a campaign already
running: the stored facts cannot say what a past start held.

Campaigns whose audiences compile to the same predicate (the same expression reading no fact that moves with
the time, or read at the same time, and no list) share one column: every column is a CASE evaluated per row
and a key of the GROUP BY, so twenty campaigns over eight distinct audiences cost eight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.utils import timezone

from cxcore.models import CustomerFacts

from .audiences import campaign_audience_q
from .models import Campaign


def audience_at(campaign: Campaign, at: dt.datetime | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """When `campaign`'s audience is read: `at`, else its start, or now once it has started."""
    return at or max(campaign.starts_at, now or timezone.now())


def audience_column(campaign: Campaign) -> str:
    return f"a{campaign.pk}"


@dataclass(frozen=True)
class Pattern:
    """A distinct row of the membership columns: the campaigns whose audience holds, the other columns that
    hold, how many customers share it, and per counted column how many of them it holds for."""

    targeted: frozenset[int]
    flags: frozenset[str]
    customers: int
    counts: Mapping[str, int]


def _flag(q: Q) -> Case:
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


@contextmanager
def _planned_for_wide_rows():
    # As for the principles' impact preview: PostgreSQL's JIT compiles these wide CASE expressions for
    # longer than the scan takes; the statement runs without it, in a transaction of its own.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def _audiences(campaigns: Sequence[Campaign], at: dt.datetime | None) -> tuple[dict[str, Q], dict[int, str]]:
    """The distinct audiences, each a column, and per campaign the column of its audience."""
    now = timezone.now()
    columns: dict[str, Q] = {}
    by_predicate: dict[tuple, str] = {}
    column_of: dict[int, str] = {}
    for c in campaigns:
        q = campaign_audience_q(c, at=audience_at(c, at, now))
        sql, params = CustomerFacts.objects.order_by().filter(q).query.sql_with_params()
        name = by_predicate.setdefault((sql, tuple(map(repr, params))), audience_column(c))
        columns.setdefault(name, q)
        column_of[c.pk] = name
    return columns, column_of


def membership_patterns(
    *,
    campaigns: Sequence[Campaign],
    at: dt.datetime | None = None,
    flags: Mapping[str, Q] | None = None,
    counted: Mapping[str, Q] | None = None,
) -> list[Pattern]:
    """The patterns of the customers in at least one audience, in one statement."""
    if not campaigns:
        return []
    flags, counted = flags or {}, counted or {}
    audiences, column_of = _audiences(campaigns, at)
    columns = {name: _flag(q) for name, q in {**audiences, **flags}.items()}
    group = list(columns)
    counts = {f"n_{name}": Count("pk", filter=q) for name, q in counted.items()}
    with _planned_for_wide_rows():
        rows = list(
            CustomerFacts.objects.order_by()
            .filter(reduce(or_, audiences.values()))
            .annotate(**columns)
            .values(*group)
            .annotate(customers=Count("pk"), **counts)
            .values_list(*group, "customers", *counts)
        )
    width = len(group)
    patterns = []
    for row in rows:
        held = {name for name, value in zip(group, row[:width], strict=True) if value}
        patterns.append(
            Pattern(
                targeted=frozenset(pk for pk, name in column_of.items() if name in held),
                flags=frozenset(name for name in held if name not in audiences),
                customers=row[width],
                counts=dict(zip(counted, row[width + 1 :], strict=True)),
            )
        )
    return patterns


def memberships_of(
    *, campaigns: Sequence[Campaign], customer_ids: Iterable[int] | None = None, at: dt.datetime | None = None
) -> dict[int, frozenset[int]]:
    """customer id -> the campaigns whose audience holds them (customers in none left out), one statement."""
    if not campaigns:
        return {}
    audiences, column_of = _audiences(campaigns, at)
    rows = CustomerFacts.objects.order_by().filter(reduce(or_, audiences.values()))
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=list(customer_ids))
    names = list(audiences)
    with _planned_for_wide_rows():
        found = rows.annotate(**{name: _flag(q) for name, q in audiences.items()}).values_list("customer_id", *names)
        memberships = {}
        for row in found:
            held = {name for name, value in zip(names, row[1:], strict=True) if value}
            memberships[row[0]] = frozenset(pk for pk, name in column_of.items() if name in held)
        return memberships
